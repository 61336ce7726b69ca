//! A look at a JPEG's structure before any pixel is decoded, and a walk of its image data.
//!
//! Decoders are lenient: the one the pipeline uses (libjpeg-turbo, through `mozjpeg`) fills
//! an image whose data stops early with grey and reports success (a warning at most), and it
//! allocates whatever the frame header asks for. So the pipeline looks first, in two steps:
//!
//! - [`inspect`] walks the header segments up to the first scan and reads the frame size,
//!   refusing a file that is not a JPEG or is cut inside its headers — before the caller
//!   weighs the size against its memory budget.
//! - [`verify`] walks every scan of the entropy-coded data: it decodes the Huffman codes
//!   (without the arithmetic that turns them into pixels) and counts the blocks, so a scan
//!   that stops before its last block is found however the file ends — cut, or cut with an
//!   end-of-image marker glued on. It also refuses bytes between a scan's end and the next
//!   marker, an image whose scans never deliver some coefficients (a progressive file cut
//!   between scans), and Huffman codes no table defines. Memory: the Huffman tables, and for
//!   a progressive image one 64-bit mask per 8×8 block (1 byte per 8 pixels and component).
//!   Time: the walk reads the bits through a 64-bit buffer and takes codes of up to 9 bits in
//!   one table look-up (a bit at a time it took longer than the decode); on the 12 MP fixture
//!   it costs about what libjpeg's own entropy decoding does (33 ms, where libjpeg's decode
//!   at 1/8, nearly all entropy decoding, takes 32), a quarter of the pipeline's time on the
//!   benchmark machine: the price of refusing before decoding.

/// What the header walk learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Structure {
    pub width: u32,
    pub height: u32,
    /// Colour components in the frame (1 for grey, 3 for colour, 4 for CMYK).
    pub components: u8,
}

/// Why a walk failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NotJpeg,
    /// The file ends inside the header segments.
    CutInHeader,
    /// Something other than a valid segment at this byte offset.
    BadSegment(usize),
    /// No frame header (SOFn) before the scan.
    NoFrame,
    /// A scan's data stops (at a marker or the end of the file) with blocks still to come.
    ShortScan {
        scan: usize,
        blocks_missing: u64,
    },
    /// The scans end without delivering every coefficient of every component.
    MissingScans,
    /// The file ends without an end-of-image marker.
    NoEnd,
    /// Huffman data no table decodes, or a code that breaks the format, at about this offset.
    BadData(usize),
    /// Bytes that are neither image data nor a marker after a scan, at this offset.
    JunkAfterScan(usize),
    /// A kind of JPEG the pipeline does not take (arithmetic coding, lossless, ...).
    Unsupported(&'static str),
    /// The frame declares more than `max_pixels` pixels.
    TooLarge,
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const DHT: u8 = 0xC4;
const DRI: u8 = 0xDD;
/// The most scans an image may have: libjpeg's progressive mode writes 10; a limit keeps a
/// hostile file of many empty scans from costing a walk of every block each time.
pub const MAX_SCANS: usize = 100;

fn is_sof(marker: u8) -> bool {
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

fn is_rst(marker: u8) -> bool {
    (0xD0..=0xD7).contains(&marker)
}

/// One marker segment: its marker, body, and the offset after it.
struct Segment<'a> {
    marker: u8,
    body: &'a [u8],
    at: usize,
    next: usize,
}

/// Reads the marker at `pos` (after any fill bytes) and, unless it stands alone, its body.
fn segment(bytes: &[u8], mut pos: usize) -> Result<Segment<'_>, Problem> {
    while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
        pos += 1;
    }
    let (Some(&ff), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
        return Err(Problem::CutInHeader);
    };
    if ff != 0xFF {
        return Err(Problem::BadSegment(pos));
    }
    let at = pos;
    pos += 2;
    if marker == EOI || marker == SOI || is_rst(marker) || marker == 0x01 {
        return Ok(Segment {
            marker,
            body: &[],
            at,
            next: pos,
        });
    }
    if marker < 0xC0 || marker == 0xFF {
        // Not a marker any JPEG encoder writes: the bytes are not JPEG segments.
        return Err(Problem::BadSegment(at));
    }
    let Some(len_bytes) = bytes.get(pos..pos + 2) else {
        return Err(Problem::CutInHeader);
    };
    let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
    if len < 2 {
        return Err(Problem::BadSegment(at));
    }
    let Some(body) = bytes.get(pos + 2..pos + len) else {
        return Err(Problem::CutInHeader);
    };
    Ok(Segment {
        marker,
        body,
        at,
        next: pos + len,
    })
}

/// Walks the header segments up to the first scan and reads the frame size.
pub fn inspect(bytes: &[u8]) -> Result<Structure, Problem> {
    if bytes.len() < 3 || bytes[0] != 0xFF || bytes[1] != SOI {
        return Err(Problem::NotJpeg);
    }
    let mut pos = 2;
    let mut frame = None;
    loop {
        let s = segment(bytes, pos)?;
        match s.marker {
            EOI => return Err(Problem::NoFrame),
            m if is_sof(m) => {
                if s.body.len() < 6 {
                    return Err(Problem::BadSegment(s.at));
                }
                frame = Some(Structure {
                    height: u32::from(u16::from_be_bytes([s.body[1], s.body[2]])),
                    width: u32::from(u16::from_be_bytes([s.body[3], s.body[4]])),
                    components: s.body[5],
                });
            }
            SOS => return frame.ok_or(Problem::NoFrame),
            _ => {}
        }
        pos = s.next;
    }
}

/// What [`verify`] found: the frame and how its data came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub width: u32,
    pub height: u32,
    pub components: u8,
    pub progressive: bool,
    pub scans: usize,
    /// Offset just after the end-of-image marker (anything after it is not this image).
    pub end: usize,
}

/// Bits of lookahead resolved by one table look-up; longer codes (rare: camera encoders give
/// the common symbols short codes) are resolved by the canonical limits.
const LOOKUP_BITS: u32 = 9;

/// A canonical Huffman table (JPEG's F.2.2.3), with a look-up table for the short codes.
#[derive(Debug, Clone)]
struct Huffman {
    maxcode: [i32; 17],
    mincode: [i32; 17],
    valptr: [usize; 17],
    values: Vec<u8>,
    /// By the next [`LOOKUP_BITS`] bits: the length of the code they start with (0 when it
    /// is longer) in the high byte, its value in the low byte.
    lookup: Vec<u16>,
}

impl Huffman {
    fn new(counts: &[u8], values: &[u8]) -> Option<Self> {
        let mut t = Huffman {
            maxcode: [-1; 17],
            mincode: [0; 17],
            valptr: [0; 17],
            values: values.to_vec(),
            lookup: vec![0; 1 << LOOKUP_BITS],
        };
        let (mut code, mut k) = (0i32, 0usize);
        for len in 1..=16 {
            let n = usize::from(counts[len - 1]);
            if n > 0 {
                t.valptr[len] = k;
                t.mincode[len] = code;
                code += i32::try_from(n).ok()?;
                k += n;
                t.maxcode[len] = code - 1;
            }
            if code > 1 << len {
                return None; // more codes than bits of this length can tell apart
            }
            code <<= 1;
        }
        for len in 1..=LOOKUP_BITS as usize {
            let spread = LOOKUP_BITS as usize - len;
            for (i, c) in (t.mincode[len]..=t.maxcode[len]).enumerate() {
                let c = usize::try_from(c).ok()?;
                let value = *t.values.get(t.valptr[len] + i)?;
                let entry = (len as u16) << 8 | u16::from(value);
                t.lookup[c << spread..(c + 1) << spread].fill(entry);
            }
        }
        Some(t)
    }
}

/// Why decoding stopped.
enum Halt {
    /// The scan's data ran out: a marker or the end of the file came next.
    Ended,
    /// Bits no table decodes, or a value the format does not allow.
    Bad,
}

/// The entropy-coded bytes of one scan, read through a 64-bit buffer; `FF 00` is a data
/// `FF`, any other `FF xx` a marker that ends the data.
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte to load.
    pos: usize,
    /// Loaded bits, the next one at the top.
    acc: u64,
    /// How many bits `acc` holds.
    n: u32,
    /// Loading stopped at `pos`: a marker, or the end of the file.
    ended: bool,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Bits {
            data,
            pos,
            acc: 0,
            n: 0,
            ended: false,
        }
    }

    /// Loads whole bytes until `acc` holds more than 56 bits or the data ends.
    fn fill(&mut self) {
        // Most of the time the next bytes hold no `FF`: take as many as fit at once.
        if let Some(next) = self.data.get(self.pos..self.pos + 8) {
            let take = (64 - self.n) / 8;
            let word = u64::from_be_bytes(next.try_into().unwrap_or([0xFF; 8]));
            let wanted = u64::MAX.checked_shl(64 - 8 * take).unwrap_or(0);
            // The high bit of a byte of `ff` is set where `word` has an `FF` (or, by a borrow,
            // in a byte above one: that only sends the load the slow way).
            let inverse = !word;
            let ff = inverse.wrapping_sub(0x0101_0101_0101_0101) & !inverse & 0x8080_8080_8080_8080;
            if take > 0 && ff & wanted == 0 {
                self.acc |= (word & wanted) >> self.n;
                self.pos += take as usize;
                self.n += 8 * take;
                return;
            }
        }
        while self.n <= 56 && !self.ended {
            match self.data.get(self.pos) {
                Some(&0xFF) if self.data.get(self.pos + 1) == Some(&0x00) => {
                    self.acc |= 0xFF << (56 - self.n);
                    self.pos += 2;
                }
                Some(&0xFF) | None => self.ended = true,
                Some(&b) => {
                    self.acc |= u64::from(b) << (56 - self.n);
                    self.pos += 1;
                }
            }
            if !self.ended {
                self.n += 8;
            }
        }
    }

    #[inline]
    fn consume(&mut self, k: u32) {
        self.acc = self.acc.checked_shl(k).unwrap_or(0);
        self.n -= k;
    }

    /// Drops `k` bits.
    #[inline]
    fn skip(&mut self, k: u32) -> Result<(), Halt> {
        if k <= self.n {
            self.consume(k);
            return Ok(());
        }
        self.skip_loading(k)
    }

    fn skip_loading(&mut self, mut k: u32) -> Result<(), Halt> {
        while k > 0 {
            if self.n == 0 || self.n < k.min(56) {
                self.fill();
            }
            let step = k.min(self.n);
            if step == 0 {
                return Err(Halt::Ended);
            }
            self.consume(step);
            k -= step;
        }
        Ok(())
    }

    /// The next `k` bits (at most 16) as a number.
    fn bits(&mut self, k: u32) -> Result<u32, Halt> {
        if k == 0 {
            return Ok(0);
        }
        if self.n < k {
            self.fill();
            if self.n < k {
                return Err(Halt::Ended);
            }
        }
        let v = u32::try_from(self.acc >> (64 - k)).map_err(|_| Halt::Bad)?;
        self.consume(k);
        Ok(v)
    }

    #[inline]
    fn decode(&mut self, t: &Huffman) -> Result<u8, Halt> {
        if self.n < 16 {
            self.fill();
        }
        // Past the end `acc` reads as zeros: a code found in them is taken only if it is
        // whole; one that is not, or none in fewer than 16 real bits, means the data ended.
        let entry = t.lookup[usize::try_from(self.acc >> (64 - LOOKUP_BITS)).unwrap_or(0)];
        let (len, value) = (u32::from(entry >> 8), (entry & 0xFF) as u8);
        if len > 0 {
            if len > self.n {
                return Err(Halt::Ended);
            }
            self.consume(len);
            return Ok(value);
        }
        for len in LOOKUP_BITS as usize + 1..=16 {
            let code = i32::try_from(self.acc >> (64 - len)).map_err(|_| Halt::Bad)?;
            if code <= t.maxcode[len] {
                if len as u32 > self.n {
                    return Err(Halt::Ended);
                }
                let i = t.valptr[len]
                    + usize::try_from(code - t.mincode[len]).map_err(|_| Halt::Bad)?;
                self.consume(len as u32);
                return t.values.get(i).copied().ok_or(Halt::Bad);
            }
        }
        Err(if self.n < 16 { Halt::Ended } else { Halt::Bad })
    }

    /// The offset of the first byte not wholly consumed: `pos` less the whole bytes still
    /// buffered (a buffered `FF` came from two bytes, `FF 00`).
    fn position(&self) -> usize {
        let whole = self.n / 8;
        let rest = self.acc.checked_shl(self.n % 8).unwrap_or(0);
        (0..whole).fold(self.pos, |p, i| {
            let byte = (rest >> (56 - 8 * i)) & 0xFF;
            p - if byte == 0xFF { 2 } else { 1 }
        })
    }

    /// Drops the padding bits of the current byte; reading goes on from the next byte.
    fn align(&mut self) {
        self.pos = self.position();
        self.acc = 0;
        self.n = 0;
        self.ended = false;
    }
}

#[derive(Debug)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    /// Blocks across and down in the component's own (non-interleaved) order.
    blocks_w: usize,
    blocks_h: usize,
    /// Per block, the coefficients already non-zero (progressive refinement needs them).
    nonzero: Vec<u64>,
    /// Coefficients 0-63 whose first scan has come.
    covered: u64,
}

#[derive(Debug)]
struct Frame {
    width: usize,
    height: usize,
    progressive: bool,
    hmax: usize,
    vmax: usize,
    comps: Vec<Component>,
}

fn frame(s: &Segment<'_>, max_pixels: u64) -> Result<Frame, Problem> {
    let bad = Problem::BadSegment(s.at);
    let progressive = match s.marker {
        0xC0 | 0xC1 => false,
        0xC2 => true,
        0xC3 | 0xC7 | 0xCB | 0xCF => return Err(Problem::Unsupported("lossless coding")),
        0xC5 | 0xC6 => return Err(Problem::Unsupported("hierarchical coding")),
        _ => return Err(Problem::Unsupported("arithmetic coding")),
    };
    let b = s.body;
    if b.len() < 6 || b[0] != 8 {
        return Err(if b.len() < 6 {
            bad
        } else {
            Problem::Unsupported("a sample precision other than 8 bits")
        });
    }
    let height = usize::from(u16::from_be_bytes([b[1], b[2]]));
    let width = usize::from(u16::from_be_bytes([b[3], b[4]]));
    let n = usize::from(b[5]);
    if height == 0 || width == 0 {
        return Err(Problem::Unsupported(
            "a height given after the image data (DNL)",
        ));
    }
    if (width as u64) * (height as u64) > max_pixels {
        return Err(Problem::TooLarge);
    }
    if n == 0 || n > 4 || b.len() != 6 + 3 * n {
        return Err(bad);
    }
    let mut comps = Vec::with_capacity(n);
    for c in b[6..].chunks_exact(3) {
        let (h, v) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
        if !(1..=4).contains(&h)
            || !(1..=4).contains(&v)
            || comps.iter().any(|x: &Component| x.id == c[0])
        {
            return Err(bad);
        }
        comps.push(Component {
            id: c[0],
            h,
            v,
            blocks_w: 0,
            blocks_h: 0,
            nonzero: Vec::new(),
            covered: 0,
        });
    }
    let hmax = comps.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = comps.iter().map(|c| c.v).max().unwrap_or(1);
    for c in &mut comps {
        c.blocks_w = (width * c.h).div_ceil(hmax).div_ceil(8);
        c.blocks_h = (height * c.v).div_ceil(vmax).div_ceil(8);
    }
    Ok(Frame {
        width,
        height,
        progressive,
        hmax,
        vmax,
        comps,
    })
}

/// Huffman tables by class (DC, AC) and slot (0-3).
type Tables = [[Option<Huffman>; 4]; 2];

fn huffman_tables(s: &Segment<'_>, tables: &mut Tables) -> Result<(), Problem> {
    let bad = Problem::BadSegment(s.at);
    let mut b = s.body;
    while !b.is_empty() {
        let (class, slot) = (usize::from(b[0] >> 4), usize::from(b[0] & 15));
        let counts = b.get(1..17).ok_or(bad.clone())?;
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values = b.get(17..17 + n).ok_or(bad.clone())?;
        if class > 1 || slot > 3 {
            return Err(bad);
        }
        tables[class][slot] = Some(Huffman::new(counts, values).ok_or(bad.clone())?);
        b = &b[17 + n..];
    }
    Ok(())
}

/// The spectral band and successive approximation of a scan.
#[derive(Debug, Clone, Copy)]
struct Band {
    ss: usize,
    se: usize,
    ah: u8,
}

/// One component of a scan: which, and its tables.
struct ScanComp<'t> {
    index: usize,
    dc: Option<&'t Huffman>,
    ac: Option<&'t Huffman>,
}

/// Walks the image data of the scan whose header `s` is, from `s.next`; returns the offset of
/// the marker after it.
fn scan(
    bytes: &[u8],
    s: &Segment<'_>,
    f: &mut Frame,
    tables: &Tables,
    restart: usize,
    number: usize,
) -> Result<usize, Problem> {
    let bad = Problem::BadSegment(s.at);
    let b = s.body;
    let ns = usize::from(*b.first().ok_or(bad.clone())?);
    if ns == 0 || ns > 4 || b.len() != 4 + 2 * ns {
        return Err(bad);
    }
    let (ss, se, ah) = (
        usize::from(b[1 + 2 * ns]),
        usize::from(b[2 + 2 * ns]),
        b[3 + 2 * ns] >> 4,
    );
    let band = Band { ss, se, ah };
    let valid = if f.progressive {
        ss <= se && se <= 63 && (ss == 0) == (se == 0) && (ss == 0 || ns == 1)
    } else {
        ss == 0 && se == 63 && ah == 0
    };
    if !valid {
        return Err(bad);
    }
    let mut comps = Vec::with_capacity(ns);
    for c in b[1..1 + 2 * ns].chunks_exact(2) {
        let index = f
            .comps
            .iter()
            .position(|x| x.id == c[0])
            .ok_or(bad.clone())?;
        let (td, ta) = (usize::from(c[1] >> 4), usize::from(c[1] & 15));
        let dc = if ss == 0 && ah == 0 {
            Some(
                tables[0]
                    .get(td)
                    .and_then(Option::as_ref)
                    .ok_or(bad.clone())?,
            )
        } else {
            None
        };
        let ac = if se > 0 {
            Some(
                tables[1]
                    .get(ta)
                    .and_then(Option::as_ref)
                    .ok_or(bad.clone())?,
            )
        } else {
            None
        };
        if comps.iter().any(|x: &ScanComp<'_>| x.index == index) {
            return Err(bad);
        }
        comps.push(ScanComp { index, dc, ac });
    }
    let ac_scan = f.progressive && ss > 0;
    if ac_scan {
        let c = &mut f.comps[comps[0].index];
        if c.nonzero.is_empty() {
            c.nonzero = vec![0; c.blocks_w * c.blocks_h];
        }
    }
    // Interleaved scans go MCU by MCU (each component's h×v blocks); a single component's
    // scan goes block by block over that component alone.
    let (mcus, per_mcu): (u64, Vec<usize>) = if ns == 1 {
        let c = &f.comps[comps[0].index];
        ((c.blocks_w * c.blocks_h) as u64, vec![1])
    } else {
        let across = f.width.div_ceil(8 * f.hmax);
        let down = f.height.div_ceil(8 * f.vmax);
        (
            (across * down) as u64,
            comps
                .iter()
                .map(|c| f.comps[c.index].h * f.comps[c.index].v)
                .collect(),
        )
    };
    let mut bits = Bits::new(bytes, s.next);
    let mut eobrun = 0u32;
    let mut m = 0u64;
    let short = |m: u64| Problem::ShortScan {
        scan: number,
        blocks_missing: (mcus - m) * per_mcu.iter().sum::<usize>() as u64,
    };
    while m < mcus {
        if restart > 0 && m > 0 && m.is_multiple_of(restart as u64) {
            bits.align();
            match (bytes.get(bits.pos), bytes.get(bits.pos + 1)) {
                (Some(0xFF), Some(&r)) if is_rst(r) => bits.pos += 2,
                (Some(0xFF), Some(_)) | (None, _) | (Some(_), None) => return Err(short(m)),
                _ => return Err(Problem::BadData(bits.pos)),
            }
            eobrun = 0;
        }
        // An end-of-band run in a first AC scan skips whole blocks without a bit.
        if ac_scan && ah == 0 && eobrun > 0 {
            let to_restart = if restart > 0 {
                restart as u64 - m % restart as u64
            } else {
                u64::MAX
            };
            let skip = u64::from(eobrun).min(mcus - m).min(to_restart);
            eobrun -= u32::try_from(skip).unwrap_or(eobrun);
            m += skip;
            continue;
        }
        for (c, &blocks) in comps.iter().zip(&per_mcu) {
            for _ in 0..blocks {
                let block = usize::try_from(m).unwrap_or(usize::MAX);
                let nonzero = if ac_scan {
                    f.comps[c.index].nonzero.get_mut(block)
                } else {
                    None
                };
                let done = block_data(&mut bits, c, band, &mut eobrun, nonzero);
                match done {
                    Ok(()) => {}
                    Err(Halt::Ended) => return Err(short(m)),
                    Err(Halt::Bad) => return Err(Problem::BadData(bits.position())),
                }
            }
        }
        m += 1;
    }
    bits.align();
    let end = bits.pos;
    match (bytes.get(end), bytes.get(end + 1)) {
        (None, _) | (Some(0xFF), None) => return Err(Problem::NoEnd),
        (Some(0xFF), Some(&next)) if next != 0x00 => {}
        _ => return Err(Problem::JunkAfterScan(end)),
    }
    if ah == 0 {
        let band_bits = if f.progressive {
            (ss..=se).fold(0u64, |acc, k| acc | 1 << k)
        } else {
            u64::MAX
        };
        for c in &comps {
            f.comps[c.index].covered |= band_bits;
        }
    }
    Ok(end)
}

/// Reads one 8×8 block's codes for the scan's band.
fn block_data(
    bits: &mut Bits<'_>,
    c: &ScanComp<'_>,
    band: Band,
    eobrun: &mut u32,
    nonzero: Option<&mut u64>,
) -> Result<(), Halt> {
    if band.ss == 0 {
        if band.ah > 0 {
            return bits.skip(1); // a DC refinement: one bit a block
        }
        let s = bits.decode(c.dc.ok_or(Halt::Bad)?)?;
        if s > 16 {
            return Err(Halt::Bad);
        }
        bits.skip(u32::from(s))?;
        if band.se == 0 {
            return Ok(());
        }
    }
    let ac = c.ac.ok_or(Halt::Bad)?;
    match nonzero {
        None => sequential_ac(bits, ac),
        Some(nz) if band.ah == 0 => first_ac(bits, ac, band, eobrun, nz),
        Some(nz) => refine_ac(bits, ac, band, eobrun, nz),
    }
}

fn sequential_ac(bits: &mut Bits<'_>, ac: &Huffman) -> Result<(), Halt> {
    let mut k = 1;
    while k <= 63 {
        let rs = bits.decode(ac)?;
        let (r, s) = (usize::from(rs >> 4), rs & 15);
        if s == 0 {
            if r != 15 {
                return Ok(());
            }
            k += 16;
        } else {
            k += r;
            if k > 63 {
                return Err(Halt::Bad);
            }
            bits.skip(u32::from(s))?;
            k += 1;
        }
    }
    if k > 64 { Err(Halt::Bad) } else { Ok(()) }
}

fn first_ac(
    bits: &mut Bits<'_>,
    ac: &Huffman,
    band: Band,
    eobrun: &mut u32,
    nz: &mut u64,
) -> Result<(), Halt> {
    let mut k = band.ss;
    while k <= band.se {
        let rs = bits.decode(ac)?;
        let (r, s) = (u32::from(rs >> 4), rs & 15);
        if s == 0 {
            if r < 15 {
                *eobrun = (1 << r) + bits.bits(r)? - 1;
                return Ok(());
            }
            k += 16;
        } else {
            k += r as usize;
            if k > band.se {
                return Err(Halt::Bad);
            }
            bits.skip(u32::from(s))?;
            *nz |= 1 << k;
            k += 1;
        }
    }
    if k > band.se + 1 {
        Err(Halt::Bad)
    } else {
        Ok(())
    }
}

/// A refinement scan's block (G.1.2.3): a new coefficient is placed after `r` coefficients
/// that are still zero; each already non-zero coefficient passed on the way has one
/// correction bit.
fn refine_ac(
    bits: &mut Bits<'_>,
    ac: &Huffman,
    band: Band,
    eobrun: &mut u32,
    nz: &mut u64,
) -> Result<(), Halt> {
    let mut k = band.ss;
    if *eobrun == 0 {
        while k <= band.se {
            let rs = bits.decode(ac)?;
            let (mut r, s) = (i32::from(rs >> 4), rs & 15);
            if s == 0 {
                if r < 15 {
                    *eobrun = (1 << r) + bits.bits(r.unsigned_abs())?;
                    break;
                }
            } else if s == 1 {
                bits.skip(1)?;
            } else {
                return Err(Halt::Bad);
            }
            while k <= band.se {
                if *nz & (1 << k) != 0 {
                    bits.skip(1)?;
                } else {
                    r -= 1;
                    if r < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if s != 0 {
                if k > band.se {
                    return Err(Halt::Bad);
                }
                *nz |= 1 << k;
            }
            k += 1;
        }
    }
    if *eobrun > 0 {
        let rest = (k..=band.se).fold(0u64, |acc, k| acc | 1 << k);
        bits.skip((*nz & rest).count_ones())?;
        *eobrun -= 1;
    }
    Ok(())
}

/// Walks the whole file: every header segment and every scan's data, to the end-of-image
/// marker. `max_pixels` bounds the frame it will walk (and so the memory it takes).
pub fn verify(bytes: &[u8], max_pixels: u64) -> Result<Summary, Problem> {
    if bytes.len() < 3 || bytes[0] != 0xFF || bytes[1] != SOI {
        return Err(Problem::NotJpeg);
    }
    let mut tables: Tables = Default::default();
    let mut f: Option<Frame> = None;
    let mut restart = 0usize;
    let mut scans = 0usize;
    let mut pos = 2;
    loop {
        let s = segment(bytes, pos).map_err(|p| match (p, scans) {
            (Problem::CutInHeader, 1..) => Problem::NoEnd,
            (p, _) => p,
        })?;
        match s.marker {
            EOI => {
                pos = s.next;
                break;
            }
            m if is_sof(m) => {
                if f.is_some() {
                    return Err(Problem::BadSegment(s.at));
                }
                f = Some(frame(&s, max_pixels)?);
            }
            DHT => huffman_tables(&s, &mut tables)?,
            DRI => {
                let r = s.body.get(..2).ok_or(Problem::BadSegment(s.at))?;
                restart = usize::from(u16::from_be_bytes([r[0], r[1]]));
            }
            SOS => {
                let fr = f.as_mut().ok_or(Problem::NoFrame)?;
                scans += 1;
                if scans > MAX_SCANS {
                    return Err(Problem::Unsupported("more than 100 scans"));
                }
                pos = scan(bytes, &s, fr, &tables, restart, scans)?;
                continue;
            }
            0xDC => {
                return Err(Problem::Unsupported(
                    "a height given after the image data (DNL)",
                ));
            }
            _ => {}
        }
        pos = s.next;
    }
    let f = f.ok_or(Problem::NoFrame)?;
    if scans == 0 || f.comps.iter().any(|c| c.covered != u64::MAX) {
        return Err(Problem::MissingScans);
    }
    Ok(Summary {
        width: u32::try_from(f.width).unwrap_or(u32::MAX),
        height: u32::try_from(f.height).unwrap_or(u32::MAX),
        components: u8::try_from(f.comps.len()).unwrap_or(u8::MAX),
        progressive: f.progressive,
        scans,
        end: pos,
    })
}

/// A name for what the bytes look like, for "this is a PNG, not a JPEG" messages.
#[must_use]
pub fn sniff(bytes: &[u8]) -> &'static str {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG", "png"),
        (b"GIF8", "gif"),
        (b"RIFF", "riff"),
        (b"%PDF", "pdf"),
        (b"PK\x03\x04", "zip"),
        (b"BM", "bmp"),
        (b"II*\0", "tiff"),
        (b"MM\0*", "tiff"),
    ];
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return "heif";
    }
    SIGNATURES
        .iter()
        .find(|(sig, _)| bytes.starts_with(sig))
        .map_or_else(
            || {
                if bytes.iter().take(512).all(|b| b.is_ascii()) {
                    "text"
                } else {
                    "unknown"
                }
            },
            |(_, name)| name,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, an APP0 segment, SOF0 (h=3000, w=4000), SOS, two data bytes, EOI.
    fn minimal(with_eoi: bool) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend([0xFF, 0xE0, 0x00, 0x04, b'J', b'F']);
        v.extend([
            0xFF, 0xC0, 0x00, 0x0B, 8, 0x0B, 0xB8, 0x0F, 0xA0, 1, 1, 0x11, 0,
        ]);
        v.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0]);
        v.extend([0x12, 0xFF, 0x00, 0x34]);
        if with_eoi {
            v.extend([0xFF, 0xD9]);
        }
        v
    }

    #[test]
    fn reads_frame_size() {
        assert_eq!(
            inspect(&minimal(true)),
            Ok(Structure {
                width: 4000,
                height: 3000,
                components: 1,
            })
        );
    }

    #[test]
    fn header_cut_short() {
        let v = minimal(true);
        assert_eq!(inspect(&v[..10]), Err(Problem::CutInHeader));
        assert_eq!(inspect(b"\xFF\xD8\xFF"), Err(Problem::CutInHeader));
    }

    #[test]
    fn not_a_jpeg() {
        assert_eq!(inspect(b"\x89PNG\r\n"), Err(Problem::NotJpeg));
        assert_eq!(inspect(b""), Err(Problem::NotJpeg));
        assert_eq!(verify(b"", 100), Err(Problem::NotJpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), "png");
        assert_eq!(sniff(b"hello world"), "text");
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), "heif");
    }

    #[test]
    fn random_bytes_after_soi_are_not_segments() {
        assert_eq!(
            inspect(&[0xFF, 0xD8, 0xFF, 0x13, 0x00, 0x04, 1, 2]),
            Err(Problem::BadSegment(2))
        );
        assert_eq!(
            inspect(&[0xFF, 0xD8, 0x42, 0x13]),
            Err(Problem::BadSegment(2))
        );
    }

    #[test]
    fn scan_without_frame() {
        let v = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9];
        assert_eq!(inspect(&v), Err(Problem::NoFrame));
        assert_eq!(verify(&v, 100), Err(Problem::NoFrame));
    }

    /// A 16×8 grey baseline image: one Huffman table pair where DC category 0 is `0` and
    /// the AC end-of-block is `0`, so each block is two zero bits.
    fn two_blocks(data: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend([0xFF, 0xC0, 0x00, 0x0B, 8, 0, 8, 0, 16, 1, 1, 0x11, 0]);
        for class in [0x00, 0x10] {
            let mut dht = vec![0xFF, 0xC4, 0x00, 0x14, class, 1];
            dht.extend([0; 15]);
            dht.push(0); // the one symbol: DC category 0 / AC end of block
            v.extend(dht);
        }
        v.extend([0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 63, 0]);
        v.extend(data);
        v
    }

    #[test]
    fn a_scan_is_complete_only_with_all_its_blocks() {
        // Two blocks need four bits: one byte, padded with ones.
        let whole = [two_blocks(&[0x0F]), vec![0xFF, 0xD9]].concat();
        let s = verify(&whole, 1000).expect("complete");
        assert_eq!((s.width, s.height, s.scans, s.end), (16, 8, 1, whole.len()));
        // 0x3F = 00 111111: block one is 00, then ones that no code of up to 16 bits is.
        let bad = [
            two_blocks(&[0x3F, 0xFF, 0x00, 0xFF, 0x00]),
            vec![0xFF, 0xD9],
        ]
        .concat();
        assert!(matches!(verify(&bad, 1000), Err(Problem::BadData(_))));
        // Data for the first block only, then the end marker: the scan is short.
        let cut = [two_blocks(&[0x3F]), vec![0xFF, 0xD9]].concat();
        assert_eq!(
            verify(&cut, 1000),
            Err(Problem::ShortScan {
                scan: 1,
                blocks_missing: 1
            })
        );
        assert_eq!(
            verify(&[two_blocks(&[]), vec![0xFF, 0xD9]].concat(), 1000),
            Err(Problem::ShortScan {
                scan: 1,
                blocks_missing: 2
            }),
            "no data at all"
        );
        assert_eq!(verify(&two_blocks(&[0x0F]), 1000), Err(Problem::NoEnd));
        assert_eq!(
            verify(
                &[two_blocks(&[0x0F, 0x42]), vec![0xFF, 0xD9]].concat(),
                1000
            ),
            Err(Problem::JunkAfterScan(whole.len() - 2))
        );
        assert_eq!(verify(&whole, 100), Err(Problem::TooLarge));
    }
}
