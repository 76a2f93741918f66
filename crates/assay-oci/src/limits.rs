//! Size limits that keep a hostile image from exhausting memory, disk or time.

/// Limits applied while opening an image and walking its layers. Exceeding any of them is
/// [`crate::Error::LimitExceeded`], except `max_file_read`, which skips the file with a
/// warning (a large file is not an attack on the scanner, only more than it will read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes of one layer (the decompression-bomb guard). Default 16 GiB.
    pub max_layer_uncompressed: u64,
    /// Largest file content handed to an analyzer. Default 64 MiB.
    pub max_file_read: u64,
    /// Entries in one layer, and files in the squashed tree. Default 5,000,000.
    pub max_entries: u64,
    /// Bytes of one path (or link target) in a layer. Default 4,096 (Linux's `PATH_MAX`).
    pub max_path_len: u64,
    /// Bytes of one tar entry's headers, PAX records and GNU long names together; the tar
    /// reader holds these in memory, so they are capped separately. Default 1 MiB.
    pub max_header: u64,
    /// Bytes of one manifest, index or config. Default 8 MiB.
    pub max_json: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_layer_uncompressed: 16 << 30,
            max_file_read: 64 << 20,
            max_entries: 5_000_000,
            max_path_len: 4096,
            max_header: 1 << 20,
            max_json: 8 << 20,
        }
    }
}
