import random, re, sys
random.seed(int(sys.argv[2]))
kind = sys.argv[1]
def vectors(path):
    s = open(path).read()
    return re.findall(r'"((?:[^"\\]|\\.)*)"', s)
if kind == "gem":
    seeds = vectors('../../version_rubygems.rs')
    toks = ["0","1","2","10","01","a","b","pre","rc","alpha","beta","rc1","a10","b2","x","Z","-","--","0a","1b"]
    def rnd():
        n = random.randint(1,5)
        parts=[str(random.randint(0,12))]+[random.choice(toks) for _ in range(n-1)]
        s = ".".join(parts)
        if random.random()<0.2: s += "-" + ".".join(random.choice(toks) for _ in range(random.randint(1,3)))
        if random.random()<0.05: s = " "+s+" "
        return s
else:
    seeds = vectors('../../version_composer.rs')
    mods = ["","-dev","-alpha","-alpha1","-a2","-beta","-b1","-beta.2","-RC","-rc1","-RC2","-patch1","-pl2","-p","-stable","@dev","@stable","+build","-beta-dev",".x-dev","-dev"]
    def rnd():
        r = random.random()
        if r < 0.05: return random.choice(["dev-master","dev-main","dev-trunk","dev-default","dev-foo","dev-feature/x","master","9999999-dev"])
        if r < 0.1: return "%04d-%02d-%02d" % (random.randint(2000,2030), random.randint(1,12), random.randint(1,28))
        n = random.randint(1,4)
        v = ".".join(str(random.choice([0,1,2,3,10,99999])) for _ in range(n))
        if random.random()<0.2: v = "v"+v
        if random.random()<0.1: v = v + ".x"
        return v + random.choice(mods)
vals = seeds + [rnd() for _ in range(400)]
vals = [v.encode().decode('unicode_escape') if '\\' in v else v for v in vals]
vals = [v for v in vals if '\t' not in v and '\n' not in v]
for _ in range(int(sys.argv[3])):
    print(random.choice(vals)+"\t"+random.choice(vals))
