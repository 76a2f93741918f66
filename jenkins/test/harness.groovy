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
    // Credential id -> value (a file path or a secret text) that withCredentials binds.
    Map credentials = [:]
    // What the stub `input` step returns (the submitter with submitterParameter).
    def inputResult = 'approved'
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
        b.setVariable('string', { Map m -> [type: 'string'] + m })
        b.setVariable('withCredentials', { List creds, Closure body ->
            calls << [step: 'withCredentials', args: creds]
            creds.each {
                String value = credentials[it.credentialsId] ?: ('/secrets/' + it.credentialsId)
                env[it.variable] = value
                shellEnv[it.variable] = value
            }
            try { return body() } finally { creds.each { env.remove(it.variable); shellEnv.remove(it.variable) } }
        })
        b.setVariable('input', { Map m ->
            calls << [step: 'input', args: m]
            return inputResult instanceof List ? inputResult.remove(0) : inputResult
        })
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

test('assaySign: key and password bound from credentials, the key path left to the shell, quoted words') {
    def p = new Pipeline(repo: repo)
    p.load('assaySign').call(image: 'reg.example/app@sha256:' + 'a' * 64, keyCredentialsId: 'build-key',
        passwordCredentialsId: 'build-pw', annotations: [commit: "abc'; id"], sbom: true, scan: true, db: 'db file')
    def wc = p.steps('withCredentials')[0].args
    check(wc[0].type == 'file' && wc[0].credentialsId == 'build-key' && wc[0].variable == 'ASSAY_KEY', "key ${wc}")
    check(wc[1].type == 'string' && wc[1].credentialsId == 'build-pw' && wc[1].variable == 'ASSAY_PASSWORD', "pw ${wc}")
    List lines = p.steps('sh')[0].args.script.readLines()
    String image = q('reg.example/app@sha256:' + 'a' * 64)
    check(lines[2] == "'assay' 'sign' '--key' \"\$ASSAY_KEY\" '-a' " + q("commit=abc'; id") + " '--' ${image}", "sign ${lines[2]}")
    check(lines[3].contains("'--attest' '--key' \"\$ASSAY_KEY\"") && lines[3].startsWith("'assay' 'sbom'"), "sbom ${lines[3]}")
    check(lines[4].startsWith("'assay' 'scan' '--fail-on' 'none' '--attest'") && lines[4].contains("'--db' 'db file'"), "scan ${lines[4]}")
    check(!p.env.containsKey('ASSAY_PASSWORD'), 'password leaked into env')
    def p2 = new Pipeline(repo: repo, shStatus: 2)
    def thrown = null
    try { p2.load('assaySign').call(image: 'x', keyCredentialsId: 'k') } catch (StepError e) { thrown = e }
    check(thrown != null && thrown.message.contains('exit code 2'), "error ${thrown}")
}

test('assayPromote: input restricted to the submitters, the approver signs an approval with their key, then promote') {
    def p = new Pipeline(repo: repo, inputResult: 'alice')
    p.env.BUILD_URL = 'https://ci.example/job/app/7/'
    int rc = p.load('assayPromote').call(source: 'test.example/app@sha256:1', destination: 'prod.example/app:1',
        policy: 'policies/golden-image.yaml', submitter: 'release-managers',
        approverKeys: [alice: 'key-alice', bob: 'key-bob'], approverPasswords: [alice: 'pw-alice'],
        promoteKeyCredentialsId: 'promote-key', auditLog: 'audit.jsonl')
    check(rc == 0, "rc ${rc}")
    def input = p.steps('input')[0].args
    check(input.submitter == 'release-managers' && input.submitterParameter == 'approver', "input ${input}")
    def creds = p.steps('withCredentials')
    check(creds[0].args*.credentialsId == ['key-alice', 'pw-alice'], "approver creds ${creds[0].args}")
    check(creds[1].args*.credentialsId == ['promote-key'] && creds[1].args[0].variable == 'ASSAY_PROMOTE_KEY', "promote creds ${creds[1].args}")
    def sh = p.steps('sh')*.args*.script
    check(sh[0] == "'assay' 'approve' '--approver' 'alice' '--comment' 'approved in Jenkins: https://ci.example/job/app/7/' --key \"\$ASSAY_KEY\" -- 'test.example/app@sha256:1'", "approve ${sh[0]}")
    check(sh[1] == "'assay' 'promote' '--policy' 'policies/golden-image.yaml' '--audit-log' 'audit.jsonl' -- 'test.example/app@sha256:1' 'prod.example/app:1'", "promote ${sh[1]}")
}

test('assayPromote: an approver without a key, or a denial (4), fails the build') {
    def p = new Pipeline(repo: repo, inputResult: 'mallory')
    def thrown = null
    try {
        p.load('assayPromote').call(source: 's', destination: 'd', policy: 'p', submitter: 'rm', approverKeys: [alice: 'k'])
    } catch (StepError e) { thrown = e }
    check(thrown != null && thrown.message.contains('mallory') && p.steps('sh').isEmpty(), "error ${thrown}")
    def p2 = new Pipeline(repo: repo, shStatus: 4)
    thrown = null
    try { p2.load('assayPromote').call(source: 's', destination: 'd', policy: 'p', approve: false) } catch (StepError e) { thrown = e }
    check(thrown != null && thrown.message.contains('denied') && p2.currentBuild.result == 'FAILURE', "error ${thrown}")
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

if (realAssay) {
    test('assaySign + assayPromote run the real assay on a copy of the demo image: denied, approved by both, promoted') {
        def tmp = File.createTempDir()
        def copy = new ProcessBuilder('cp', '-R', "${repo}/fixtures/images/demo-app", "${tmp}/test").inheritIO().start()
        check(copy.waitFor() == 0, 'cp')
        String password = new File("${repo}/fixtures/keys/PASSWORD").text.trim()
        Map creds = [build: "${repo}/fixtures/keys/build.key".toString(), pw: password,
                     rm1: "${repo}/fixtures/keys/release-manager-1.key".toString(),
                     rm2: "${repo}/fixtures/keys/release-manager-2.key".toString()]
        String src = "oci:${tmp}/test:1.0".toString()
        String dst = "oci:${tmp}/prod:1.0".toString()
        def db = new ProcessBuilder(realAssay, 'db', 'build', '--from', "${repo}/fixtures/osv", '--output', "${tmp}/assay.db").start()
        check(db.waitFor() == 0, 'db build')
        def p = new Pipeline(repo: repo, realShell: true, credentials: creds)
        p.load('assaySign').call(assay: realAssay, image: src, keyCredentialsId: 'build', passwordCredentialsId: 'pw',
            sbom: true, scan: true, db: "${tmp}/assay.db".toString())
        Map promote = [assay: realAssay, source: src, destination: dst, policy: "${repo}/policies/golden-image.yaml".toString(),
                       submitter: 'release-managers', approverKeys: [rm1: 'rm1', rm2: 'rm2'],
                       approverPasswords: [rm1: 'pw', rm2: 'pw'], promoteKeyCredentialsId: 'build', promotePasswordCredentialsId: 'pw']
        def first = new Pipeline(repo: repo, realShell: true, credentials: creds, inputResult: 'rm1')
        def thrown = null
        try { first.load('assayPromote').call(promote) } catch (StepError e) { thrown = e }
        check(thrown != null && thrown.message.contains('denied') && !new File(tmp, 'prod').exists(), "first: ${thrown}")
        // Two approvals in one run: rm1 again is not counted twice, rm2 completes it.
        def second = new Pipeline(repo: repo, realShell: true, credentials: creds, inputResult: ['rm1', 'rm2'])
        check(second.load('assayPromote').call(promote + [approvals: 2]) == 0, 'second promotion')
        check(second.steps('input').size() == 2, "inputs ${second.steps('input').size()}")
        check(new File(tmp, 'prod/index.json').exists(), 'prod layout')
        tmp.deleteDir()
    }
}

println "jenkins: ${passed} passed, ${failed} failed"
System.exit(failed == 0 ? 0 : 1)
