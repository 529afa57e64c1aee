//! Temporary.
#[test]
#[ignore]
fn fuzz() {
    let text = std::fs::read_to_string("/tmp/insp/fuzz.json").unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut bad = 0;
    for c in &cases {
        let json = c["json"].as_str().unwrap();
        let expected = c["expected"].as_str().unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let got = super::inspect(&v);
        if got != expected {
            bad += 1;
            if bad < 4 { eprintln!("JSON {json}\n--- expected\n{expected}\n--- got\n{got}\n"); }
        }
    }
    eprintln!("{bad} bad of {}", cases.len());
    assert_eq!(bad, 0);
}
