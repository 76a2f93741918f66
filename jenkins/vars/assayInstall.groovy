import dev.assay.Shell

/**
 * assayInstall: install an assay release on the agent and set env.ASSAY_BIN.
 *
 *   assayInstall(version: '0.4.1', publicKeyCredentialsId: 'assay-release-key')
 *
 * Parameters (all optional):
 *   version                 release to install, or 'latest' (default 'latest')
 *   downloadUrl             base URL of the release assets, <url>/v<version>/<asset>
 *                           (default https://github.com/assay-dev/assay/releases/download)
 *   publicKeyCredentialsId  a "Secret file" credential holding the release public key (PEM):
 *                           SHA256SUMS.sig must then verify against it. The SHA256SUMS checksum
 *                           is checked in every case.
 *   dir                     install directory (default "${WORKSPACE_TMP or .}/assay-bin")
 * Returns the path of the binary. The script is resources/dev/assay/install.sh.
 */
def call(Map args = [:]) {
    def known = ['version', 'downloadUrl', 'publicKeyCredentialsId', 'dir']
    def unknown = args.keySet().findAll { !(it in known) }
    if (unknown) {
        error("assayInstall: unknown parameter(s) ${unknown.join(', ')}")
    }
    String version = (args.version ?: 'latest').toString()
    String url = (args.downloadUrl ?: 'https://github.com/assay-dev/assay/releases/download').toString()
    String dir = (args.dir ?: "${env.WORKSPACE_TMP ?: '.'}/assay-bin").toString()
    String installer = "${dir}.install.sh"
    writeFile(file: installer, text: libraryResource('dev/assay/install.sh'))
    String base = 'sh ' + Shell.command([installer, version, url, dir])
    String bin
    if (args.publicKeyCredentialsId) {
        withCredentials([file(credentialsId: args.publicKeyCredentialsId.toString(), variable: 'ASSAY_PUBLIC_KEY')]) {
            bin = sh(script: base, returnStdout: true, label: 'install assay').trim()
        }
    } else {
        bin = sh(script: base, returnStdout: true, label: 'install assay').trim()
    }
    env.ASSAY_BIN = bin
    echo("assay installed at ${bin}")
    return bin
}
