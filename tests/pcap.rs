//! `vnet run --pcap`: one record per transmission, timestamps equal to the trace's to the
//! nanosecond, and a Lua message's JSON readable by Wireshark's own dissector. The tshark part
//! runs wherever tshark is installed (`.ci/run` installs it and sets `VNET_REQUIRE_TSHARK`, so
//! CI cannot skip it).

use std::path::PathBuf;
use std::process::Command;

/// `a` sends 40 messages at once on port `p`, which has two links (CMUX): one to `b` with a
/// 4-message queue and 20 % loss, one to `c`, clean.
const NET: &str = r#"{
  "seed": 5,
  "nodes": [
    {"name": "a", "workers": [{"lang": "lua", "code":
      "for i = 1, 40 do send('p', {kind = 'hello', text = 'msg ' .. i, n = i}) end"}]},
    {"name": "b"}, {"name": "c"}
  ],
  "links": [
    {"a": "a.p", "b": "b.in", "latency": "1ms", "bandwidth": "1Mbps", "queue": 4, "loss": 0.2},
    {"a": "a.p", "b": "c.west", "latency": "3ms", "bandwidth": "10Mbps"}
  ]
}"#;

#[test]
fn every_transmission_is_a_record_with_the_traces_time_and_tshark_reads_the_json() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pcap");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("net.json"), NET).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vnet"))
        .args(["run", "net.json", "--pcap", "cap.pcap", "--trace", "t.csv"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // From the trace: sends, and the ones the link refused (queue full; lost ones went out).
    let trace = std::fs::read_to_string(dir.join("t.csv")).unwrap();
    let rows: Vec<Vec<&str>> = trace
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let refused: Vec<&str> = rows
        .iter()
        .filter(|r| r[1] == "drop" && (r[9] == "queue_full" || r[9] == "link_down"))
        .map(|r| r[2])
        .collect();
    let lost = rows
        .iter()
        .filter(|r| r[1] == "drop" && r[9] == "loss")
        .count();
    let sent: Vec<(u64, &str)> = rows
        .iter()
        .filter(|r| r[1] == "send" && !refused.contains(&r[2]))
        .map(|r| (r[0].parse().unwrap(), r[6]))
        .collect();
    assert_eq!(rows.iter().filter(|r| r[1] == "send").count(), 80);
    assert!(
        refused.len() >= 30 && lost > 0,
        "{} refused, {lost} lost",
        refused.len()
    );

    // The capture, read back with the pcap crate: as many records, the same nanoseconds.
    let file = std::fs::File::open(dir.join("cap.pcap")).unwrap();
    let mut reader = pcap_file::pcap::PcapReader::new(file).unwrap();
    assert_eq!(
        reader.header().ts_resolution,
        pcap_file::TsResolution::NanoSecond
    );
    assert_eq!(
        reader.header().datalink,
        pcap_file::DataLink::WIRESHARK_UPPER_PDU
    );
    let mut times = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        times.push(p.timestamp.as_nanos() as u64);
        assert!(p.data.ends_with(b"}"), "a JSON object ends each record");
    }
    let want: Vec<u64> = sent.iter().map(|s| s.0).collect();
    assert_eq!(times, want);

    // tshark, with no configuration: the same count and times, both ends, a string field.
    let tshark = Command::new("tshark")
        .args(["-r", "cap.pcap", "-T", "fields", "-E", "separator=|"])
        .args(["-e", "frame.time_epoch", "-e", "exported_pdu.col_proto_str"])
        .args(["-e", "json.member_with_value"])
        .current_dir(&dir)
        .output();
    let Ok(tshark) = tshark else {
        assert!(
            std::env::var_os("VNET_REQUIRE_TSHARK").is_none(),
            "tshark is required here"
        );
        eprintln!("tshark not installed: its half of this test did not run");
        return;
    };
    assert!(
        tshark.status.success(),
        "{}",
        String::from_utf8_lossy(&tshark.stderr)
    );
    let text = String::from_utf8_lossy(&tshark.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), sent.len());
    for (line, (ns, dst)) in lines.iter().zip(&sent) {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(
            f[0],
            format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
        );
        let to = if *dst == "b" { "b.in" } else { "c.west" };
        assert_eq!(f[1], format!("a.p > {to}"));
        assert!(
            f[2].contains("kind:hello") && f[2].contains("text:msg "),
            "{line}"
        );
    }
    // c got all 40, in order: its records say so through the JSON dissector too.
    let to_c: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("> c.west"))
        .copied()
        .collect();
    assert_eq!(to_c.len(), 40);
    assert!(to_c[39].contains("text:msg 40"), "{}", to_c[39]);
}
