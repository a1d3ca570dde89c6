// SPDX-License-Identifier: GPL-2.0

//! Region geometry and access validation.

use super::*;
use crate::model::{access_len, accesses, region_size, AccessError};

#[test]
fn ports_variants() {
    assert_eq!(Ports::One.count(), 1);
    assert_eq!(Ports::Two.count(), 2);
    assert_eq!(card(Ports::One).ports(), Ports::One);
    assert_eq!(card(Ports::Two).ports(), Ports::Two);
}

#[test]
fn region_sizes() {
    // BAR0..BAR5, ROM, config, VGA.
    let sizes_one = [8, 0, 0, 0, 0, 0, 0, 0x100, 0];
    let sizes_two = [8, 8, 0, 0, 0, 0, 0, 0x100, 0];
    for (i, region) in Region::ALL.into_iter().enumerate() {
        assert_eq!(region_size(Ports::One, region), sizes_one[i]);
        assert_eq!(region_size(Ports::Two, region), sizes_two[i]);
    }
}

#[test]
fn no_such_region() {
    let m = &mut card(Ports::One);
    let mut buf = [0u8; 1];
    for region in Region::ALL {
        if matches!(region, Region::Bar0 | Region::Config) {
            continue;
        }
        assert_eq!(
            m.read(region, 0, &mut buf),
            Err(AccessError::NoSuchRegion),
            "{region:?}"
        );
        assert_eq!(
            m.write(region, 0, &buf),
            Err(AccessError::NoSuchRegion),
            "{region:?}"
        );
    }
    let m = &mut card(Ports::Two);
    assert_eq!(m.read(BAR1, 0, &mut buf), Ok(None));
    assert_eq!(
        m.read(Region::Bar2, 0, &mut buf),
        Err(AccessError::NoSuchRegion)
    );
}

#[test]
fn bad_lengths() {
    let m = &mut card(Ports::One);
    for len in [0usize, 3, 5, 8, 256] {
        let mut buf = vec![0u8; len];
        for index in [CONFIG, BAR0] {
            assert_eq!(
                m.read(index, 0, &mut buf),
                Err(AccessError::BadLength),
                "{len}"
            );
            assert_eq!(
                m.write(index, 0, &buf),
                Err(AccessError::BadLength),
                "{len}"
            );
        }
    }
}

#[test]
fn misaligned_accesses() {
    let m = &mut card(Ports::One);
    let mut two = [0u8; 2];
    let mut four = [0u8; 4];
    for index in [CONFIG, BAR0] {
        assert_eq!(m.read(index, 1, &mut two), Err(AccessError::Misaligned));
        assert_eq!(m.read(index, 2, &mut four), Err(AccessError::Misaligned));
        assert_eq!(m.read(index, 3, &mut four), Err(AccessError::Misaligned));
        assert_eq!(m.write(index, 1, &two), Err(AccessError::Misaligned));
        assert_eq!(m.write(index, 6, &four), Err(AccessError::Misaligned));
    }
}

#[test]
fn out_of_range_accesses() {
    let m = &mut card(Ports::One);
    let mut one = [0u8; 1];
    let mut four = [0u8; 4];
    assert_eq!(m.read(CONFIG, 0xfc, &mut four), Ok(None), "last dword");
    assert_eq!(m.read(CONFIG, 0xff, &mut one), Ok(None), "last byte");
    assert_eq!(
        m.read(CONFIG, 0x100, &mut one),
        Err(AccessError::OutOfRange)
    );
    assert_eq!(m.write(CONFIG, 0x100, &four), Err(AccessError::OutOfRange));
    assert_eq!(
        m.read(BAR0, 4, &mut four),
        Ok(None),
        "last dword of the BAR"
    );
    assert_eq!(m.read(BAR0, 8, &mut one), Err(AccessError::OutOfRange));
    assert_eq!(m.write(BAR0, 8, &one), Err(AccessError::OutOfRange));
    assert_eq!(
        m.read(CONFIG, 1 << 40, &mut one),
        Err(AccessError::OutOfRange)
    );
    assert_eq!(
        m.read(BAR0, u64::MAX, &mut one),
        Err(AccessError::OutOfRange)
    );
    assert_eq!(
        m.read(BAR0, u64::MAX - 3, &mut four),
        Err(AccessError::OutOfRange)
    );
}

#[test]
fn refused_writes_change_nothing() {
    let m = &mut card(Ports::One);
    assert!(m.write(BAR0, 0, b"abc").is_err());
    assert!(m.write(BAR0, 7, &[0x11, 0x22]).is_err());
    assert!(m.write(CONFIG, 0x3c, &[0x0b, 0, 0]).is_err());
    assert_eq!(
        inb(m, BAR0, LSR),
        LSR_THRE | LSR_TEMT,
        "nothing was transmitted"
    );
    assert_eq!(inb(m, BAR0, SCR), 0);
    assert_eq!(cfg_read(m, 0x3c, 1), 0);
}

#[test]
fn access_len_splits_like_mtty_read() {
    assert_eq!(access_len(0, 0), 0);
    assert_eq!(access_len(0, 256), 4);
    assert_eq!(access_len(0, 3), 2);
    assert_eq!(access_len(0, 1), 1);
    assert_eq!(access_len(2, 4), 2);
    assert_eq!(access_len(6, 1), 1);
    assert_eq!(access_len(7, 4), 1);
    assert_eq!(access_len(0xfc, 4), 4);
    assert_eq!(access_len(u64::MAX, 4), 1);
    // Every piece of any split is accepted by the model.
    let m = &mut card(Ports::One);
    for start in 0..256u64 {
        for total in 0..=(256 - start as usize) {
            let mut covered = 0;
            for (offset, range) in accesses(start, total) {
                let len = range.len();
                assert!(matches!(len, 1 | 2 | 4));
                assert_eq!(range.start, covered);
                assert_eq!(offset, start + covered as u64);
                covered = range.end;
                let mut buf = [0u8; 4];
                assert_eq!(m.read(CONFIG, offset, &mut buf[..len]), Ok(None));
            }
            assert_eq!(covered, total);
        }
    }
}

#[test]
fn wide_bar_accesses_are_byte_sequences() {
    let m = &mut card(Ports::One);
    // MCR, LSR (read-only), MSR (read-only), SCR in one dword.
    assert_eq!(m.write(BAR0, 4, &[MCR_RTS, 0xff, 0xff, 0x5a]), Ok(None));
    let mut four = [0u8; 4];
    assert_eq!(m.read(BAR0, 4, &mut four), Ok(None));
    assert_eq!(
        four,
        [
            MCR_RTS,
            LSR_THRE | LSR_TEMT,
            MSR_DSR | MSR_CTS | MSR_DCD,
            0x5a
        ]
    );
    // THR then IER: the byte is looped back, IER takes the second byte.
    enable_fifo(m, BAR0, 0);
    assert_eq!(m.write(BAR0, TX, &[b'z', IER_RDI]), Ok(None));
    let mut two = [0u8; 2];
    assert_eq!(m.read(BAR0, RX, &mut two), Ok(None));
    assert_eq!(two, [b'z', IER_RDI]);
}
