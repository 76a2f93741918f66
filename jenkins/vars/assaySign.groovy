import dev.assay.Shell

/**
 * assaySign: sign an image the cosign way and attach its SBOM and scan attestations.
 *
 *   assaySign(image: "registry.example.com/app@${digest}", keyCredentialsId: 'assay-build-key',
 *             passwordCredentialsId: 'assay-build-key-password', sbom: true, scan: true)
 *
 * Parameters:
 *   image                  required: host/repo@sha256:... (a tag is resolved and warned about) or oci:DIR[:TAG]
 *   keyCredentialsId       required: a Secret file credential holding the cosign-format private key
 *   passwordCredentialsId  a Secret text credential with the key's password (ASSAY_PASSWORD)
 *   annotations            a Map of claims added to the signed payload
 *   sbom                   also attest the CycloneDX SBOM (default false)
 *   scan                   also scan and attest the result, cosign's vuln type (default false)
 *   db                     vulnerability database for scan
 *   assay                  the assay binary (default: env.ASSAY_BIN, else 'assay' from PATH)
 * Fails the build on any error: 2 input (e.g. a wrong key password), 3 registry.
 */
def call(Map args = [:]) {
    def known = ['image', 'keyCredentialsId', 'passwordCredentialsId', 'annotations', 'sbom', 'scan', 'db', 'assay']
    def unknown = args.keySet().findAll { !(it in known) }
    if (unknown) {
        error("assaySign: unknown parameter(s) ${unknown.join(', ')}")
    }
    if (!args.image || !args.keyCredentialsId) {
        error('assaySign: image and keyCredentialsId are required')
    }
    if (args.annotations != null && !(args.annotations instanceof Map)) {
        error('assaySign: annotations must be a Map')
    }
    String bin = (args.assay ?: env.ASSAY_BIN ?: 'assay').toString()
    String image = args.image.toString()
    List lines = []
    List sign = [bin, 'sign', '--key', '$ASSAY_KEY']
    (args.annotations ?: [:]).each { k, v -> sign += ['-a', "${k}=${v}".toString()] }
    lines << command(sign + ['--', image])
    if (args.sbom) {
        lines << command([bin, 'sbom', '--format', 'cyclonedx-json', '--output', 'assay-reports/sbom-attested.cdx.json',
                          '--attest', '--key', '$ASSAY_KEY', '--', image])
    }
    if (args.scan) {
        List scan = [bin, 'scan', '--fail-on', 'none', '--attest', '--key', '$ASSAY_KEY']
        if (args.db) { scan += ['--db', args.db.toString()] }
        lines << command(scan + ['--', image])
    }
    String script = "set -e\nmkdir -p assay-reports\n" + lines.join('\n')
    List creds = [file(credentialsId: args.keyCredentialsId.toString(), variable: 'ASSAY_KEY')]
    if (args.passwordCredentialsId) {
        creds << string(credentialsId: args.passwordCredentialsId.toString(), variable: 'ASSAY_PASSWORD')
    }
    int rc = 0
    withCredentials(creds) {
        rc = sh(script: script, returnStatus: true, label: 'assay sign')
    }
    if (rc != 0) {
        currentBuild.result = 'FAILURE'
        error("assay sign failed with exit code ${rc} (2 input error such as a wrong key password, 3 registry error)")
    }
    return rc
}

/** A command line whose words are quoted, except "$ASSAY_KEY", which the shell expands. */
static String command(List words) {
    return words.collect { it == '$ASSAY_KEY' ? '"$ASSAY_KEY"' : Shell.quote(it.toString()) }.join(' ')
}
