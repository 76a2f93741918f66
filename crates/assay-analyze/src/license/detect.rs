//! License texts identified by comparing them with the SPDX license list, for licenses that
//! metadata only names with a local word (a DEP-5 `License: Kazlib` paragraph) or does not
//! name at all (a free-form copyright file quoting the MIT text).
//!
//! The `spdx` crate's `detection` feature is askalono inlined (askalono itself is
//! unmaintained): n-gram similarity against every SPDX text. Its store is embedded
//! compressed (`detection-inline-cache`, 2.1 MB) and loaded once, reduced to the licenses
//! packages use ([`COMMON`]): in the background as soon as a run with the license scanner
//! starts ([`load_in_background`]), so the load overlaps the layer walk instead of adding to
//! the scan's time, or on first use otherwise. Results are cached by text, because Debian
//! packages built from one source share copyright files.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use spdx::detection::scan::Scanner as ScanStrategy;
use spdx::detection::{Store, TextData};

/// Below this similarity a text is not taken to be a license (askalono's default is 0.8;
/// a false positive here turns an unknown license into a wrong known one).
const MIN_SCORE: f32 = 0.9;

/// Texts longer than this are not compared: preparing a text (normalisation, n-grams) is
/// the main cost, 40 ms for the 11 KiB Apache-2.0 text in a release build. Local names in
/// Debian copyright files mostly stand for short permissive notices; long texts under a
/// local name (a full GFDL) stay unknown. Measured on the 488-package debian-py image:
/// 789 copyright files take 63 ms without detection, 254 ms with this cap (of which
/// ~130 ms is loading the store once), 560-790 ms without it.
const MAX_TEXT: usize = 8 << 10;

/// The licenses compared against: the ones package copyright files and license files
/// actually use. Comparing with all ~700 SPDX texts multiplies the per-text cost; this
/// subset keeps it to a fraction. A text of another license stays unknown (the safe side: the policy's
/// `unknown` action applies).
const COMMON: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-3-Clause-LBNL",
    "BSD-4-Clause",
    "BSD-4-Clause-UC",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "curl",
    "ECL-2.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "FTL",
    "GD",
    "GFDL-1.2-or-later",
    "GFDL-1.3-or-later",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "HPND-sell-variant",
    "ICU",
    "IJG",
    "Info-ZIP",
    "ISC",
    "Latex2e",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libpng-2.0",
    "MIT",
    "MIT-0",
    "MIT-CMU",
    "MPL-1.1",
    "MPL-2.0",
    "MS-PL",
    "NCSA",
    "NTP",
    "OFL-1.1",
    "OpenLDAP-2.8",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "SGI-B-2.0",
    "Sleepycat",
    "SSPL-1.0",
    "TCL",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

static STORE: LazyLock<Option<Store>> = LazyLock::new(|| {
    let all = Store::load_inline().ok()?;
    let mut store = Store::new();
    for name in COMMON {
        if let Some(text) = all.get_original(name) {
            store.add_license((*name).to_string(), text.clone());
        }
    }
    Some(store)
});

/// Starts loading the store on a thread of its own unless that has been started already
/// (the license scanner's [`crate::content::Scanner::prepare`]). Scans need it for nearly
/// every Debian-based image (copyright files naming licenses with local words), and the
/// layer walk leaves a core idle on single-layer images, where the ~100 ms load then costs
/// no wall time. If the thread cannot be started the store loads on first use.
pub(crate) fn load_in_background() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("assay-spdx-store".into())
            .spawn(|| LazyLock::force(&STORE).is_some());
    });
}

static CACHE: LazyLock<Mutex<HashMap<[u8; 32], Option<String>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn key(text: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes()).into()
}

/// The SPDX id of a license text, when it is one with confidence.
pub(crate) fn identify(text: &str) -> Option<String> {
    cached(text, |store, data| {
        let found = store.analyze(data);
        (found.score >= MIN_SCORE).then(|| found.name.to_string())
    })
}

/// The SPDX ids of licenses contained in a longer text (a copyright file with notices
/// around the license), best match first.
pub(crate) fn identify_within(text: &str) -> Option<String> {
    cached(text, |store, data| {
        let strategy = ScanStrategy::new(store)
            .confidence_threshold(MIN_SCORE)
            .optimize(true)
            .max_passes(4);
        let result = strategy.scan(data);
        if let Some(license) = result.license {
            return Some(license.name.to_string());
        }
        result
            .containing
            .first()
            .map(|c| c.license.name.to_string())
    })
}

fn cached(text: &str, find: impl FnOnce(&Store, &TextData) -> Option<String>) -> Option<String> {
    // Below ~100 characters a text is a pointer ("see LICENSE"), not a license.
    if text.trim().len() < 100 || text.len() > MAX_TEXT {
        return None;
    }
    let key = key(text);
    if let Some(hit) = CACHE.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let store = STORE.as_ref()?;
    let found = find(store, &TextData::new(text));
    if let Ok(mut cache) = CACHE.lock() {
        cache.insert(key, found.clone());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIT: &str = "Permission is hereby granted, free of charge, to any person obtaining a copy \
of this software and associated documentation files (the \"Software\"), to deal in the Software \
without restriction, including without limitation the rights to use, copy, modify, merge, \
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to \
whom the Software is furnished to do so, subject to the following conditions:\n\nThe above \
copyright notice and this permission notice shall be included in all copies or substantial \
portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, \
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A \
PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE \
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR \
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS \
IN THE SOFTWARE.\n";

    #[test]
    fn identifies_the_mit_text_and_not_prose() {
        assert_eq!(identify(MIT).as_deref(), Some("MIT"));
        let within = format!("Copyright (c) 2019 Jane Doe <jane@example.org>\n\n{MIT}");
        assert_eq!(identify_within(&within).as_deref(), Some("MIT"));
        let prose = "This package was debianized by someone in 1999 and is maintained by a team of people who like it very much indeed.";
        assert_eq!(identify(prose), None);
    }
}
