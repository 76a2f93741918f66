import dev.assay.Shell

/**
 * assayScan: run `assay scan` and publish its reports (JUnit, and SARIF through warnings-ng).
 *
 *   def rc = assayScan(target: '.', severity: 'MEDIUM,HIGH,CRITICAL', failOn: 'HIGH',
 *                      onFindings: 'UNSTABLE')
 *
 * Parameters (all optional):
 *   target        what to scan: a directory or a file (default '.')
 *   format        format of the report printed to the log (default 'table')
 *   output        write that report to this file instead of the log
 *   severity      severities to report, e.g. 'HIGH,CRITICAL' (the gate still sees every finding)
 *   failOn        gate: 'HIGH', 'misconfig=HIGH,vuln=CRITICAL' or 'none' (default: any finding)
 *   exitCode      exit code of assay when the gate fails (default 1)
 *   policy        Rego policy directories, a String (comma-separated) or a List
 *   profile       'pss-baseline' or 'pss-restricted'
 *   config        assay.yaml path; ignorefile: .assayignore path; scanners: e.g. 'misconfig'
 *   ignoreUnfixed true to leave out vulnerabilities without a fixed version
 *   reportDir     where assay-junit.xml, assay.sarif and assay.json go (default 'assay-reports')
 *   assay         the assay binary (default: env.ASSAY_BIN, else 'assay' from PATH; see assayInstall)
 *   publish       publish with junit and recordIssues (default true)
 *   id            the warnings-ng id and name of the published SARIF (default 'assay'); give each
 *                 assayScan of one build its own, as warnings-ng accepts an id once per build
 *   onFindings    what findings that fail the gate do to the build: 'FAILURE' (default: the
 *                 build fails and stops), 'UNSTABLE' (marked unstable, the pipeline goes on) or
 *                 'NONE' (only the return value tells)
 * Returns assay's exit code. Exit codes other than 0 and the gate's (2 input error, 3 network,
 * 4 policy denied) always fail the build, after the reports that exist are published.
 */
def call(Map args = [:]) {
    def known = ['target', 'format', 'output', 'severity', 'failOn', 'exitCode', 'policy', 'profile',
                 'config', 'ignorefile', 'scanners', 'ignoreUnfixed', 'reportDir', 'assay', 'publish',
                 'onFindings', 'id']
    def unknown = args.keySet().findAll { !(it in known) }
    if (unknown) {
        error("assayScan: unknown parameter(s) ${unknown.join(', ')}")
    }
    String onFindings = (args.onFindings ?: 'FAILURE').toString().toUpperCase()
    if (!(onFindings in ['FAILURE', 'UNSTABLE', 'NONE'])) {
        error("assayScan: onFindings must be FAILURE, UNSTABLE or NONE, not ${args.onFindings}")
    }
    int gateCode = 1
    if (args.exitCode != null) {
        String code = args.exitCode.toString()
        if (!(code ==~ /\d{1,3}/) || code.toInteger() > 255) {
            error("assayScan: exitCode must be a number from 0 to 255, not ${code}")
        }
        gateCode = code.toInteger()
    }
    String dir = (args.reportDir ?: 'assay-reports').toString()
    String junitFile = "${dir}/assay-junit.xml"
    String sarifFile = "${dir}/assay.sarif"
    String jsonFile = "${dir}/assay.json"
    String bin = (args.assay ?: env.ASSAY_BIN ?: 'assay').toString()

    List cmd = [bin, 'scan', '--format', (args.format ?: 'table').toString()]
    if (args.output) { cmd += ['--output', args.output.toString()] }
    if (args.severity) { cmd += ['--severity', args.severity.toString()] }
    if (args.failOn) { cmd += ['--fail-on', args.failOn.toString()] }
    if (args.exitCode != null) { cmd += ['--exit-code', gateCode.toString()] }
    if (args.policy) {
        def policies = args.policy instanceof List ? args.policy : [args.policy]
        policies.each { cmd += ['--policy', it.toString()] }
    }
    if (args.profile) { cmd += ['--profile', args.profile.toString()] }
    if (args.config) { cmd += ['--config', args.config.toString()] }
    if (args.ignorefile) { cmd += ['--ignorefile', args.ignorefile.toString()] }
    if (args.scanners) { cmd += ['--scanners', args.scanners.toString()] }
    if (args.ignoreUnfixed) { cmd += ['--ignore-unfixed', 'true'] }
    cmd += ['--report', "junit=${junitFile}", '--report', "sarif=${sarifFile}", '--report', "json=${jsonFile}"]
    cmd += ['--', (args.target ?: '.').toString()]

    String script = "mkdir -p ${Shell.quote(dir)} && rm -f ${Shell.command([junitFile, sarifFile, jsonFile])}\n" +
        Shell.command(cmd)
    int rc = sh(script: script, returnStatus: true, label: 'assay scan')

    if (args.publish != false) {
        String issuesId = (args.id ?: 'assay').toString()
        junit(testResults: junitFile, allowEmptyResults: true, skipMarkingBuildUnstable: true)
        recordIssues(enabledForFailure: true, skipPublishingChecks: true,
                     tools: [sarif(pattern: sarifFile, id: issuesId, name: issuesId)])
    }

    if (rc == 0) {
        echo('assay: no finding fails the gate')
    } else if (rc == gateCode) {
        String message = "assay: findings fail the gate (exit code ${rc}); see ${jsonFile}"
        if (onFindings == 'FAILURE') {
            currentBuild.result = 'FAILURE'
            error(message)
        } else if (onFindings == 'UNSTABLE') {
            currentBuild.result = 'UNSTABLE'
            echo(message)
        } else {
            echo(message)
        }
    } else {
        currentBuild.result = 'FAILURE'
        error("assay scan failed with exit code ${rc} (2 input error, 3 network, 4 policy denied)")
    }
    return rc
}
