// Runs the shared library's steps under plain Groovy with stub pipeline steps and checks the
// commands and arguments they issue. Run from the repository root:
//   groovy jenkins/test/harness.groovy [PATH_OF_A_REAL_ASSAY_BINARY]
// Prints "ok - NAME" / "not ok - NAME" per test and "jenkins: N passed, M failed"; exits 1 on failure.

class StepError extends RuntimeException {
    StepError(String message) { super(message) }
}

class Pipeline {
    List calls = []
    Map env = [:]
    Map currentBuild = [result: null]
    // What the stub `sh` does: a fixed exit code, or run the script for real with these variables.
    int shStatus = 0
    String shStdout = ''
    boolean realShell = false
    Map shellEnv = [:]
    String repo

    Binding binding() {
        Binding b = new Binding()
        b.setVariable('env', env)
        b.setVariable('currentBuild', currentBuild)
        b.setVariable('sh', { Map m ->
            calls << [step: 'sh', args: m]
            if (realShell) {
                ProcessBuilder pb = new ProcessBuilder('sh', '-c', m.script)
                pb.environment().putAll(shellEnv)
                pb.redirectErrorStream(false)
                Process p = pb.start()
                String out = p.inputStream.text
                System.err.print(p.errorStream.text)
                int code = p.waitFor()
                if (m.returnStdout) {
                    if (code != 0) throw new StepError("script returned exit code ${code}")
                    return out
                }
                return m.returnStatus ? code : null
            }
            if (m.returnStdout) return shStdout
            if (m.returnStatus) return shStatus
            if (shStatus != 0) throw new StepError("script returned exit code ${shStatus}")
            return null
        })
        b.setVariable('junit', { Map m -> calls << [step: 'junit', args: m] })
        b.setVariable('sarif', { Map m -> [tool: 'sarif'] + m })
        b.setVariable('recordIssues', { Map m -> calls << [step: 'recordIssues', args: m] })
        b.setVariable('archiveArtifacts', { Map m -> calls << [step: 'archiveArtifacts', args: m] })
        b.setVariable('file', { Map m -> [type: 'file'] + m })
        b.setVariable('withCredentials', { List creds, Closure body ->
            calls << [step: 'withCredentials', args: creds]
            creds.each { env[it.variable] = '/secrets/' + it.credentialsId }
            try { return body() } finally { creds.each { env.remove(it.variable) } }
        })
        b.setVariable('input', { Map m -> calls << [step: 'input', args: m]; return 'approved' })
        b.setVariable('error', { String msg -> calls << [step: 'error', args: msg]; throw new StepError(msg) })
        b.setVariable('echo', { String msg -> calls << [step: 'echo', args: msg] })
        b.setVariable('writeFile', { Map m -> calls << [step: 'writeFile', args: m] })
        b.setVariable('libraryResource', { String path ->
            calls << [step: 'libraryResource', args: path]
            return new File("${repo}/jenkins/resources/${path}").text
        })
        return b
    }

    def load(String name) {
        // Jenkins puts the library's src/ on the classpath; so does the harness.
        GroovyShell shell = new GroovyShell(binding())
        shell.classLoader.addClasspath("${repo}/jenkins/src")
        return shell.parse(new File("${repo}/jenkins/vars/${name}.groovy"))
    }

    List steps(String name) { calls.findAll { it.step == name } }
}

String repo = new File('.').canonicalPath
String realAssay = args.length > 0 ? args[0] : null
int passed = 0
int failed = 0

def test = { String name, Closure body ->
    try {
        body()
        passed++
        println "ok - ${name}"
    } catch (Throwable t) {
        failed++
        println "not ok - ${name}: ${t}"
    }
}

def check = { boolean cond, String what -> if (!cond) throw new AssertionError(what) }

def q = { String s -> "'" + s.replace("'", "'\"'\"'") + "'" }

test('assayScan defaults: one sh with quoted arguments, junit and SARIF published, returns 0') {
    def p = new Pipeline(repo: repo)
    int rc = p.load('assayScan').call([:])
    check(rc == 0, "rc ${rc}")
    def sh = p.steps('sh')
    check(sh.size() == 1, "sh calls: ${sh.size()}")
    String script = sh[0].args.script
    String expected = ["assay", "scan", "--format", "table",
                       "--report", "junit=assay-reports/assay-junit.xml",
                       "--report", "sarif=assay-reports/assay.sarif",
                       "--report", "json=assay-reports/assay.json", "--", "."].collect { q(it) }.join(' ')
    check(script.readLines()[0] == "mkdir -p 'assay-reports' && rm -f 'assay-reports/assay-junit.xml' 'assay-reports/assay.sarif' 'assay-reports/assay.json'", "first line: ${script.readLines()[0]}")
    check(script.readLines()[1] == expected, "command: ${script.readLines()[1]}")
    check(sh[0].args.returnStatus == true, 'returnStatus')
    def junit = p.steps('junit')
    check(junit.size() == 1 && junit[0].args.testResults == 'assay-reports/assay-junit.xml', "junit: ${junit}")
    check(junit[0].args.skipMarkingBuildUnstable == true, 'junit must leave the build result to assayScan')
    def ri = p.steps('recordIssues')
    check(ri.size() == 1, "recordIssues: ${ri}")
    def tool = ri[0].args.tools[0]
    check(tool.tool == 'sarif' && tool.pattern == 'assay-reports/assay.sarif' && tool.id == 'assay', "sarif tool: ${tool}")
    check(p.currentBuild.result == null, "result ${p.currentBuild.result}")
}

test('assayScan maps every parameter to its flag') {
    def p = new Pipeline(repo: repo)
    p.env.ASSAY_BIN = '/opt/assay/bin/assay'
    p.load('assayScan').call(target: 'deploy', format: 'json', output: 'out.json', severity: 'HIGH,CRITICAL',
        failOn: 'misconfig=HIGH', exitCode: 7, policy: ['policies', 'more'], profile: 'pss-restricted',
        config: 'assay.yaml', ignorefile: '.assayignore', scanners: 'misconfig', ignoreUnfixed: true,
        reportDir: 'out')
    String cmd = p.steps('sh')[0].args.script.readLines()[1]
    List want = ['/opt/assay/bin/assay', 'scan', '--format', 'json', '--output', 'out.json', '--severity', 'HIGH,CRITICAL',
                 '--fail-on', 'misconfig=HIGH', '--exit-code', '7', '--policy', 'policies', '--policy', 'more',
                 '--profile', 'pss-restricted', '--config', 'assay.yaml', '--ignorefile', '.assayignore',
                 '--scanners', 'misconfig', '--ignore-unfixed', 'true',
                 '--report', 'junit=out/assay-junit.xml', '--report', 'sarif=out/assay.sarif',
                 '--report', 'json=out/assay.json', '--', 'deploy']
    check(cmd == want.collect { q(it) }.join(' '), "command: ${cmd}")
}

test('assayScan quotes hostile values: the shell gets them back as single literal arguments') {
    def tmp = File.createTempDir()
    def argv = new File(tmp, 'argv')
    def fake = new File(tmp, 'assay')
    fake.text = "#!/bin/sh\nfor a in \"\$@\"; do printf '%s\\n' \"\$a\"; done > ${q(argv.path)}\nexit 0\n"
    fake.setExecutable(true)
    def p = new Pipeline(repo: repo, realShell: true)
    String hostile = 'a b; rm -rf /'
    String sub = '$(touch ' + tmp.path + '/pwned)'
    String quote = "it's \"quoted\" `id` \\ \$HOME"
    p.load('assayScan').call(assay: fake.path, target: hostile, severity: sub, policy: quote,
        reportDir: tmp.path + '/r e p', publish: false)
    List got = argv.readLines()
    List want = ['scan', '--format', 'table', '--severity', sub, '--policy', quote,
                 '--report', "junit=${tmp.path}/r e p/assay-junit.xml".toString(),
                 '--report', "sarif=${tmp.path}/r e p/assay.sarif".toString(),
                 '--report', "json=${tmp.path}/r e p/assay.json".toString(), '--', hostile]
    check(got == want, "argv: ${got}")
    check(!new File(tmp, 'pwned').exists(), 'command substitution ran')
    check(new File(tmp, 'r e p').isDirectory(), 'report dir not created')
    check(p.steps('sh')[0].args.script.contains(q(hostile)), 'target not quoted')
    tmp.deleteDir()
}

test('assayScan: findings with onFindings FAILURE publish the reports, then fail the build') {
    def p = new Pipeline(repo: repo, shStatus: 1)
    def thrown = null
    try { p.load('assayScan').call(target: '.') } catch (StepError e) { thrown = e }
    check(thrown != null && thrown.message.contains('findings fail the gate'), "error: ${thrown}")
    check(p.currentBuild.result == 'FAILURE', "result ${p.currentBuild.result}")
    List order = p.calls*.step
    check(order.indexOf('junit') < order.indexOf('error') && order.indexOf('recordIssues') < order.indexOf('error'), "order ${order}")
}

test('assayScan: findings with onFindings UNSTABLE mark the build and return the exit code') {
    def p = new Pipeline(repo: repo, shStatus: 1)
    int rc = p.load('assayScan').call(onFindings: 'unstable')
    check(rc == 1, "rc ${rc}")
    check(p.currentBuild.result == 'UNSTABLE', "result ${p.currentBuild.result}")
    check(p.steps('error').isEmpty(), 'error called')
}

test('assayScan: a custom exitCode is the gate; other codes always fail') {
    def p = new Pipeline(repo: repo, shStatus: 7)
    int rc = p.load('assayScan').call(exitCode: 7, onFindings: 'NONE')
    check(rc == 7 && p.currentBuild.result == null, "rc ${rc} result ${p.currentBuild.result}")
    def p2 = new Pipeline(repo: repo, shStatus: 2)
    def thrown = null
    try { p2.load('assayScan').call(onFindings: 'NONE') } catch (StepError e) { thrown = e }
    check(thrown != null && thrown.message.contains('exit code 2'), "error: ${thrown}")
    check(p2.currentBuild.result == 'FAILURE', "result ${p2.currentBuild.result}")
}

test('assayScan rejects unknown parameters and bad values before running anything') {
    [[colour: 'red'], [onFindings: 'MAYBE'], [exitCode: '1; reboot']].each { bad ->
        def p = new Pipeline(repo: repo)
        def thrown = null
        try { p.load('assayScan').call(bad) } catch (StepError e) { thrown = e }
        check(thrown != null, "no error for ${bad}")
        check(p.steps('sh').isEmpty(), "sh ran for ${bad}")
    }
}

test('assayInstall: library resource written, arguments quoted, key from a file credential') {
    def p = new Pipeline(repo: repo, shStdout: '/w/tmp/assay-bin/assay\n')
    p.env.WORKSPACE_TMP = '/w/tmp'
    String bin = p.load('assayInstall').call(version: "0.1.0'; id", publicKeyCredentialsId: 'assay-key')
    check(bin == '/w/tmp/assay-bin/assay' && p.env.ASSAY_BIN == bin, "bin ${bin} env ${p.env.ASSAY_BIN}")
    def wf = p.steps('writeFile')
    check(wf.size() == 1 && wf[0].args.file == '/w/tmp/assay-bin.install.sh' && wf[0].args.text.startsWith('#!/bin/sh'), "writeFile ${wf}")
    def wc = p.steps('withCredentials')
    check(wc.size() == 1 && wc[0].args[0].credentialsId == 'assay-key' && wc[0].args[0].variable == 'ASSAY_PUBLIC_KEY', "withCredentials ${wc}")
    String script = p.steps('sh')[0].args.script
    check(script == "sh '/w/tmp/assay-bin.install.sh' '0.1.0'\"'\"'; id' 'https://github.com/assay-dev/assay/releases/download' '/w/tmp/assay-bin'", "script ${script}")
    check(!p.env.containsKey('ASSAY_PUBLIC_KEY'), 'credential variable leaked')
}

test('assaySbom: quoted command, SBOM archived, path returned; bad parameters stop before sh') {
    def p = new Pipeline(repo: repo)
    String file = p.load('assaySbom').call(image: "oci:build/app;id:1.0", format: 'spdx-json', platform: 'linux/arm64')
    check(file == 'assay-reports/sbom.spdx.json', "file ${file}")
    List lines = p.steps('sh')[0].args.script.readLines()
    check(lines[0] == "mkdir -p 'assay-reports'", "first line ${lines[0]}")
    String want = ['assay', 'sbom', '--format', 'spdx-json', '--output', 'assay-reports/sbom.spdx.json',
                   '--platform', 'linux/arm64', '--', 'oci:build/app;id:1.0'].collect { q(it) }.join(' ')
    check(lines[1] == want, "command ${lines[1]}")
    def archived = p.steps('archiveArtifacts')
    check(archived.size() == 1 && archived[0].args.artifacts == file, "archive ${archived}")
    [[:], [image: 'x', format: 'xml'], [image: 'x', colour: 'red']].each { bad ->
        def p2 = new Pipeline(repo: repo)
        def thrown = null
        try { p2.load('assaySbom').call(bad) } catch (StepError e) { thrown = e }
        check(thrown != null && p2.steps('sh').isEmpty(), "no error or sh ran for ${bad}")
    }
    def p3 = new Pipeline(repo: repo, shStatus: 3)
    def thrown = null
    try { p3.load('assaySbom').call(image: 'registry.invalid/app:1') } catch (StepError e) { thrown = e }
    check(thrown != null && thrown.message.contains('exit code 3') && p3.currentBuild.result == 'FAILURE', "error ${thrown}")
    check(p3.steps('archiveArtifacts').isEmpty(), 'archived a failed SBOM')
}

if (realAssay) {
    test('assayScan runs the real assay on fixtures/demo: reports written, UNSTABLE on findings') {
        def tmp = File.createTempDir()
        def p = new Pipeline(repo: repo, realShell: true)
        int rc = p.load('assayScan').call(assay: realAssay, target: 'fixtures/demo', reportDir: tmp.path,
            format: 'json', output: tmp.path + '/main.json', onFindings: 'UNSTABLE')
        check(rc == 1, "rc ${rc}")
        ['assay-junit.xml', 'assay.sarif', 'assay.json', 'main.json'].each {
            check(new File(tmp, it).length() > 0, "${it} missing")
        }
        check(p.currentBuild.result == 'UNSTABLE', "result ${p.currentBuild.result}")
        tmp.deleteDir()
    }
}

if (realAssay) {
    test('assaySbom runs the real assay on the demo image: a CycloneDX 1.6 SBOM with its packages') {
        def tmp = File.createTempDir()
        def p = new Pipeline(repo: repo, realShell: true)
        String file = p.load('assaySbom').call(assay: realAssay, image: 'oci:fixtures/images/demo-app:1.0',
            output: tmp.path + '/sbom/demo.cdx.json')
        def doc = new groovy.json.JsonSlurper().parse(new File(file))
        check(doc.specVersion == '1.6', "specVersion ${doc.specVersion}")
        check(doc.components.findAll { it.purl }.size() >= 7, "components ${doc.components.size()}")
        tmp.deleteDir()
    }
}

println "jenkins: ${passed} passed, ${failed} failed"
System.exit(failed == 0 ? 0 : 1)
