//! Just enough ELF to find a named section and map a virtual address to a file offset: what
//! the Go build-info and cargo-auditable readers need. Hand-written rather than pulling in
//! `object` or `goblin` because two lookups over the section and program header tables are
//! all that is used, and every read here is bounds-checked against the file.

/// An ELF file's layout, parsed from its headers.
pub(crate) struct Elf<'a> {
    data: &'a [u8],
    pub(crate) big_endian: bool,
    pub(crate) is_64: bool,
    sections: Vec<Section>,
    segments: Vec<Segment>,
}

struct Section {
    name: u32,
    offset: u64,
    size: u64,
    nobits: bool,
}

struct Segment {
    vaddr: u64,
    offset: u64,
    filesz: u64,
}

impl<'a> Elf<'a> {
    /// `None` when `data` is not an ELF file or its header tables are out of bounds.
    pub(crate) fn parse(data: &'a [u8]) -> Option<Elf<'a>> {
        if data.get(..4)? != b"\x7fELF" {
            return None;
        }
        let is_64 = match data.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big_endian = match data.get(5)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let mut elf = Elf {
            data,
            big_endian,
            is_64,
            sections: Vec::new(),
            segments: Vec::new(),
        };
        let (phoff, shoff, sizes_at) = if is_64 {
            (elf.uint(0x20, 8)?, elf.uint(0x28, 8)?, 0x36)
        } else {
            (elf.uint(0x1c, 4)?, elf.uint(0x20, 4)?, 0x2a)
        };
        let phentsize = elf.uint(sizes_at, 2)?;
        let phnum = elf.uint(sizes_at + 2, 2)?;
        let shentsize = elf.uint(sizes_at + 4, 2)?;
        let shnum = elf.uint(sizes_at + 6, 2)?;
        let shstrndx = elf.uint(sizes_at + 8, 2)?;
        for i in 0..phnum {
            let at = usize::try_from(phoff.checked_add(i * phentsize)?).ok()?;
            // PT_LOAD only.
            if elf.uint(at, 4)? != 1 {
                continue;
            }
            let segment = if is_64 {
                Segment {
                    offset: elf.uint(at + 8, 8)?,
                    vaddr: elf.uint(at + 16, 8)?,
                    filesz: elf.uint(at + 32, 8)?,
                }
            } else {
                Segment {
                    offset: elf.uint(at + 4, 4)?,
                    vaddr: elf.uint(at + 8, 4)?,
                    filesz: elf.uint(at + 16, 4)?,
                }
            };
            elf.segments.push(segment);
        }
        for i in 0..shnum {
            let at = usize::try_from(shoff.checked_add(i * shentsize)?).ok()?;
            let section = if is_64 {
                Section {
                    name: u32::try_from(elf.uint(at, 4)?).ok()?,
                    nobits: elf.uint(at + 4, 4)? == 8,
                    offset: elf.uint(at + 24, 8)?,
                    size: elf.uint(at + 32, 8)?,
                }
            } else {
                Section {
                    name: u32::try_from(elf.uint(at, 4)?).ok()?,
                    nobits: elf.uint(at + 4, 4)? == 8,
                    offset: elf.uint(at + 16, 4)?,
                    size: elf.uint(at + 20, 4)?,
                }
            };
            elf.sections.push(section);
        }
        // Section names live in the section-header string table.
        let names = usize::try_from(shstrndx)
            .ok()
            .and_then(|i| elf.sections.get(i));
        if names.is_none() {
            elf.sections.clear();
        }
        Some(elf)
    }

    /// An unsigned integer of `size` bytes at `at`, in the file's byte order.
    pub(crate) fn uint(&self, at: usize, size: usize) -> Option<u64> {
        let bytes = self.data.get(at..at.checked_add(size)?)?;
        let mut value = 0u64;
        if self.big_endian {
            for b in bytes {
                value = (value << 8) | u64::from(*b);
            }
        } else {
            for b in bytes.iter().rev() {
                value = (value << 8) | u64::from(*b);
            }
        }
        Some(value)
    }

    /// The content of the section called `name`, if it exists and lies within the file.
    pub(crate) fn section(&self, name: &str) -> Option<&'a [u8]> {
        let table = self.sections.get(self.shstrndx()?)?;
        let table = self.range(table.offset, table.size)?;
        self.sections.iter().find_map(|s| {
            let start = usize::try_from(s.name).ok()?;
            let rest = table.get(start..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            (&rest[..end] == name.as_bytes() && !s.nobits)
                .then(|| self.range(s.offset, s.size))
                .flatten()
        })
    }

    fn shstrndx(&self) -> Option<usize> {
        let at = if self.is_64 { 0x3e } else { 0x32 };
        usize::try_from(self.uint(at, 2)?).ok()
    }

    /// `size` bytes at virtual address `vaddr`, through the loadable segments.
    pub(crate) fn at_vaddr(&self, vaddr: u64, size: u64) -> Option<&'a [u8]> {
        let segment = self.segments.iter().find(|s| {
            vaddr >= s.vaddr
                && vaddr
                    .checked_add(size)
                    .is_some_and(|end| end <= s.vaddr.saturating_add(s.filesz))
        })?;
        self.range(segment.offset.checked_add(vaddr - segment.vaddr)?, size)
    }

    fn range(&self, offset: u64, size: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        self.data.get(start..end)
    }

    /// The whole file.
    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }
}
