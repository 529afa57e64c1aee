//! The disk and network parsers on fixed samples of their `/proc` files, the rates between
//! readings, and a real sample of this machine (sysinfo's part included).

use super::*;

const DISKSTATS: &str = "   7       0 loop0 10 0 80 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 1984533 36376 89995930 2564634 174994 283519 216934728 1156617 0 176548
 254       1 vda1 1984000 36376 89990000 2564634 174994 283519 216930000 1156617 0 176548
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
";

const NET_DEV: &str = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 11266887625 110884322    0    0    0     0          0         0 11266887625 110884322    0    0    0     0       0          0
  eth0: 265536466   13902    0    0    0     0          0         0  1040800    8629    0    0    0     0       0          0
  eth1:1000 1 0 0 0 0 0 0 2000 2 0 0 0 0 0 0
";

#[test]
fn only_whole_disks_count_and_sectors_are_512_bytes() {
    let (read, written) = parse_diskstats(DISKSTATS, |name| name == "vda");
    assert_eq!(read, 89995930 * 512);
    assert_eq!(written, 216934728 * 512);
    assert_eq!(parse_diskstats(DISKSTATS, |_| false), (0, 0));
    assert_eq!(parse_diskstats("garbage\n\n", |_| true), (0, 0));
}

#[test]
fn network_skips_loopback_and_headers() {
    assert_eq!(parse_net_dev(NET_DEV), (265536466 + 1000, 1040800 + 2000));
    assert_eq!(parse_net_dev(""), (0, 0));
}

fn counters(at: Instant, bytes: u64) -> Counters {
    Counters {
        disk_read: bytes,
        disk_write: bytes * 2,
        net_rx: bytes * 3,
        net_tx: bytes * 4,
        at,
    }
}

#[test]
fn rates_are_differences_per_second() {
    let start = Instant::now();
    let before = counters(start, 1000);
    let after = counters(start + Duration::from_secs(2), 3000);
    let [dr, dw, rx, tx] = rates(Some(&before), &after);
    assert_eq!((dr, dw, rx, tx), (1000, 2000, 3000, 4000));
}

#[test]
fn the_first_sample_has_no_rates() {
    let now = counters(Instant::now(), 5000);
    assert_eq!(rates(None, &now), [0; 4]);
}

#[test]
fn counters_that_go_back_or_no_time_give_zero_not_a_panic() {
    let start = Instant::now();
    let before = counters(start, 9000);
    let after = counters(start + Duration::from_secs(1), 10);
    assert_eq!(rates(Some(&before), &after), [0; 4]);
    let same_time = counters(start, 10_000);
    assert_eq!(rates(Some(&before), &same_time), [0; 4]);
}

#[test]
fn this_machine_can_be_sampled() {
    let mut sampler = HostSampler::default();
    let first = sampler.sample(Instant::now(), 1).unwrap();
    assert!(first.cpus >= 1);
    assert!(first.mem_total > 0 && first.mem_used <= first.mem_total);
    assert!((0.0..=100.0).contains(&first.cpu_percent));
    assert_eq!(first.at_ms, 1);
    let second = sampler
        .sample(Instant::now() + Duration::from_millis(10), 2)
        .unwrap();
    assert!((0.0..=100.0).contains(&second.cpu_percent));
}
