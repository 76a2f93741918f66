import dev.assay.Shell

/**
 * assaySbom: write an image's software bill of materials with `assay sbom` and archive it.
 *
 *   def file = assaySbom(image: 'registry.example.com/app@sha256:...', format: 'spdx-json')
 *
 * Parameters:
 *   image         required: host/repo:tag[@sha256:...], oci:DIR[:TAG], docker-archive:FILE or dir:ROOTFS
 *   format        'cyclonedx-json' (default, CycloneDX 1.6) or 'spdx-json' (SPDX 2.3)
 *   specVersion   CycloneDX version, '1.6' or '1.5'
 *   output        the SBOM file (default 'assay-reports/sbom.cdx.json' or 'assay-reports/sbom.spdx.json')
 *   platform      os/arch[/variant] of a multi-platform image
 *   assay         the assay binary (default: env.ASSAY_BIN, else 'assay' from PATH; see assayInstall)
 *   archive       archive the SBOM with archiveArtifacts (default true)
 * Returns the SBOM's path. Any failure (2 input error, 3 registry error) fails the build.
 */
def call(Map args = [:]) {
    def known = ['image', 'format', 'specVersion', 'output', 'platform', 'assay', 'archive']
    def unknown = args.keySet().findAll { !(it in known) }
    if (unknown) {
        error("assaySbom: unknown parameter(s) ${unknown.join(', ')}")
    }
    if (!args.image) {
        error('assaySbom: image is required')
    }
    String format = (args.format ?: 'cyclonedx-json').toString()
    Map extensions = ['cyclonedx-json': 'cdx.json', 'spdx-json': 'spdx.json']
    if (!extensions.containsKey(format)) {
        error("assaySbom: format must be cyclonedx-json or spdx-json, not ${format}")
    }
    String output = (args.output ?: "assay-reports/sbom.${extensions[format]}").toString()
    String bin = (args.assay ?: env.ASSAY_BIN ?: 'assay').toString()
    List cmd = [bin, 'sbom', '--format', format, '--output', output]
    if (args.specVersion) { cmd += ['--spec-version', args.specVersion.toString()] }
    if (args.platform) { cmd += ['--platform', args.platform.toString()] }
    cmd += ['--', args.image.toString()]

    String parent = output.contains('/') ? output.substring(0, output.lastIndexOf('/')) : '.'
    int rc = sh(script: "mkdir -p ${Shell.quote(parent)}\n" + Shell.command(cmd), returnStatus: true, label: 'assay sbom')
    if (rc != 0) {
        currentBuild.result = 'FAILURE'
        error("assay sbom failed with exit code ${rc} (2 input error, 3 registry or network error)")
    }
    if (args.archive != false) {
        archiveArtifacts(artifacts: output, fingerprint: true)
    }
    return output
}
