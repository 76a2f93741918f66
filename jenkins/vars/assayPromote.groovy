import dev.assay.Shell

/**
 * assayPromote: a release manager approves in Jenkins, assay records that approval as a signed
 * assay approval, then promotes the image when the golden-image policy holds.
 *
 *   assayPromote(source: "registry-test.example.com/app@${digest}",
 *                destination: 'registry.example.com/app:1.4.2',
 *                policy: 'policies/golden-image.yaml',
 *                submitter: 'release-managers',
 *                approverKeys: [alice: 'assay-key-alice', bob: 'assay-key-bob'],
 *                approverPasswords: [alice: 'assay-key-alice-password', bob: 'assay-key-bob-password'],
 *                promoteKeyCredentialsId: 'assay-promote-key',
 *                promotePasswordCredentialsId: 'assay-promote-key-password')
 *
 * Parameters:
 *   source, destination, policy   required: what to promote, where to, and under which policy
 *   submitter                     the Jenkins users or groups allowed to approve (input step)
 *   approverKeys                  Map of Jenkins user id -> Secret file credential of their assay key;
 *                                 the approver's key signs the approval (their public key is in the policy)
 *   approverPasswords             Map of Jenkins user id -> Secret text credential of the key's password
 *   approvals                     how many distinct approvers the input step collects (default 1;
 *                                 match the policy's `approvals.required`)
 *   message                       the input step's question (default "Promote SOURCE to DESTINATION?")
 *   approve                       false to skip the input step (approvals given elsewhere, e.g. assay approve)
 *   promoteKeyCredentialsId       Secret file credential of the key that signs the promotion record
 *   promotePasswordCredentialsId  its password (Secret text)
 *   auditLog                      append the promotion record to this JSON-lines file
 *   dryRun                        evaluate and print the plan only
 *   assay                         the assay binary (default: env.ASSAY_BIN, else 'assay' from PATH)
 * Returns 0 when promoted. A denial (exit 4) fails the build, naming the failed requirements.
 */
def call(Map args = [:]) {
    def known = ['source', 'destination', 'policy', 'submitter', 'approverKeys', 'approverPasswords', 'approvals', 'message',
                 'approve', 'promoteKeyCredentialsId', 'promotePasswordCredentialsId', 'auditLog', 'dryRun', 'assay']
    def unknown = args.keySet().findAll { !(it in known) }
    if (unknown) {
        error("assayPromote: unknown parameter(s) ${unknown.join(', ')}")
    }
    if (!args.source || !args.destination || !args.policy) {
        error('assayPromote: source, destination and policy are required')
    }
    String bin = (args.assay ?: env.ASSAY_BIN ?: 'assay').toString()
    String source = args.source.toString()
    String destination = args.destination.toString()

    if (args.approve != false) {
        if (!args.submitter || !(args.approverKeys instanceof Map) || args.approverKeys.isEmpty()) {
            error('assayPromote: submitter and approverKeys are required for the approval step (or approve: false)')
        }
        int wanted = (args.approvals ?: 1).toString().toInteger()
        List approvers = []
        while (approvers.size() < wanted) {
            String question = (args.message ?: "Promote ${source} to ${destination}?").toString()
            if (wanted > 1) { question += " (approval ${approvers.size() + 1} of ${wanted})" }
            String approver = input(message: question, ok: 'Approve', submitter: args.submitter.toString(),
                                    submitterParameter: 'approver').toString()
            if (approver in approvers) {
                echo("assayPromote: ${approver} already approved; another release manager must approve")
                continue
            }
            recordApproval(bin, source, approver, args)
            approvers << approver
        }
    }

    List cmd = [bin, 'promote', '--policy', args.policy.toString()]
    if (args.auditLog) { cmd += ['--audit-log', args.auditLog.toString()] }
    if (args.dryRun) { cmd += ['--dry-run'] }
    String promote = Shell.command(cmd)
    List creds = []
    if (args.promoteKeyCredentialsId) {
        creds << file(credentialsId: args.promoteKeyCredentialsId.toString(), variable: 'ASSAY_PROMOTE_KEY')
        if (args.promotePasswordCredentialsId) {
            creds << string(credentialsId: args.promotePasswordCredentialsId.toString(), variable: 'ASSAY_PASSWORD')
        }
    }
    promote += ' -- ' + Shell.command([source, destination])
    int rc = 0
    withCredentials(creds) {
        rc = sh(script: promote, returnStatus: true, label: 'assay promote')
    }
    if (rc == 4) {
        currentBuild.result = 'FAILURE'
        error("assay promote: denied by ${args.policy}; the table above names each failed requirement")
    } else if (rc != 0) {
        currentBuild.result = 'FAILURE'
        error("assay promote failed with exit code ${rc} (2 input error, 3 registry error)")
    }
    return rc
}

/** Signs an assay approval of `source` with the approver's key (their public key is in the policy). */
def recordApproval(String bin, String source, String approver, Map args) {
    String keyId = args.approverKeys[approver]
    if (!keyId) {
        currentBuild.result = 'FAILURE'
        error("assayPromote: ${approver} approved, but has no key in approverKeys")
    }
    List creds = [file(credentialsId: keyId, variable: 'ASSAY_KEY')]
    String passwordId = (args.approverPasswords ?: [:])[approver]
    if (passwordId) {
        creds << string(credentialsId: passwordId, variable: 'ASSAY_PASSWORD')
    }
    String comment = "approved in Jenkins: ${env.BUILD_URL ?: env.JOB_NAME ?: 'pipeline'}".toString()
    String approve = Shell.command([bin, 'approve', '--approver', approver, '--comment', comment]) +
        ' --key "$ASSAY_KEY" -- ' + Shell.quote(source)
    int rc = 0
    withCredentials(creds) {
        rc = sh(script: approve, returnStatus: true, label: 'assay approve')
    }
    if (rc != 0) {
        currentBuild.result = 'FAILURE'
        error("assay approve failed with exit code ${rc}")
    }
}
