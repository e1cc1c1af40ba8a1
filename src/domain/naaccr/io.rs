//! Opening NAACCR files for streaming, with gzip chosen by file name (output) or content (input).
//!
//! The only file-system code of the module; the readers and writers work on any `BufRead`/`Write`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// An output file, gzip-compressed when its name ends in `.gz`.
///
/// Call [`NaaccrOutput::finish`]: it writes the gzip trailer and reports errors (such as a full
/// disk) that a plain drop would swallow, leaving a truncated file.
#[derive(Debug)]
pub enum NaaccrOutput {
    /// Uncompressed file.
    Plain(BufWriter<File>),
    /// Gzip-compressed file.
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

/// Creates (truncates) `path` for writing; gzip when the name ends in `.gz`.
pub fn create_output(path: &Path) -> io::Result<NaaccrOutput> {
    let file = BufWriter::with_capacity(1 << 16, File::create(path)?);
    let gzip = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".gz"));
    Ok(if gzip {
        NaaccrOutput::Gzip(Box::new(GzEncoder::new(file, Compression::default())))
    } else {
        NaaccrOutput::Plain(file)
    })
}

impl NaaccrOutput {
    /// Completes the file (gzip trailer), flushes it and syncs it to disk.
    pub fn finish(self) -> io::Result<()> {
        let buffered = match self {
            Self::Plain(w) => w,
            Self::Gzip(gz) => gz.finish()?,
        };
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

impl Write for NaaccrOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Gzip(w) => w.flush(),
        }
    }
}

/// Opens `path` for buffered reading, decompressing gzip when the content starts with the gzip
/// magic bytes (whatever the name says, so a mis-named file still reads).
pub fn open_input(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    open_input_counted(path).map(|(input, _)| input)
}

/// [`open_input`], with a counter of the bytes read from the file so far (compressed bytes for a
/// gzip file, so that it compares with the file's size): how far a reader has come.
pub fn open_input_counted(path: &Path) -> io::Result<(Box<dyn BufRead + Send>, Arc<AtomicU64>)> {
    let read = Arc::new(AtomicU64::new(0));
    let counted = Counted {
        inner: File::open(path)?,
        read: Arc::clone(&read),
    };
    let mut file = BufReader::with_capacity(1 << 16, counted);
    let gzip = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let input: Box<dyn BufRead + Send> = if gzip {
        Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file)))
    } else {
        Box::new(file)
    };
    Ok((input, read))
}

/// A reader that adds what it reads to a shared counter.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads a whole (possibly gzipped) small file into a string, e.g. a user dictionary.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    open_input(path)?.read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_chosen_by_name_and_read_back_by_content() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["plain.xml", "packed.xml.gz"] {
            let path = dir.path().join(name);
            let mut out = create_output(&path).unwrap();
            out.write_all(b"<NaaccrData/>\n").unwrap();
            out.finish().unwrap();
            let raw = std::fs::read(&path).unwrap();
            assert_eq!(
                raw.starts_with(&[0x1f, 0x8b]),
                name.ends_with(".gz"),
                "{name}"
            );
            assert_eq!(read_to_string(&path).unwrap(), "<NaaccrData/>\n");
            // The counter counts the bytes of the file, compressed or not, once all is read.
            let (mut input, read) = open_input_counted(&path).unwrap();
            let mut text = String::new();
            input.read_to_string(&mut text).unwrap();
            assert_eq!(text, "<NaaccrData/>\n");
            assert_eq!(read.load(Ordering::Relaxed), raw.len() as u64, "{name}");
        }
    }
}
