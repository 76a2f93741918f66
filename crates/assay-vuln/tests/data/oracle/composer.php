<?php
// composer/semver (Debian php-composer-semver) as the oracle: normalize + normalizeDefaultBranch,
// then Comparator, as Semver::usort does. A<TAB>B lines in, one of < = > ! ? out.
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\Semver\VersionParser;
use Composer\Semver\Comparator;
$p = new VersionParser();
while (($line = fgets(STDIN)) !== false) {
    $line = rtrim($line, "\n");
    [$a, $b] = explode("\t", $line, 2);
    try {
        $na = $p->normalizeDefaultBranch($p->normalize($a));
        $nb = $p->normalizeDefaultBranch($p->normalize($b));
    } catch (\Throwable $e) { echo "!\n"; continue; }
    if ($na === $nb || Comparator::equalTo($na, $nb)) echo "=\n";
    elseif (Comparator::lessThan($na, $nb)) echo "<\n";
    elseif (Comparator::greaterThan($na, $nb)) echo ">\n";
    else echo "?\n";
}
