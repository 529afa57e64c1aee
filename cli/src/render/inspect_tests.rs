//! Tests of [`super::inspect`] against outputs captured from Node 20's `util.inspect`.
//!
//! Expected texts come from `util.inspect(value, false, null, false)` on the same JSON (keys
//! sorted, as `serde_json::Map` keeps them).

use super::inspect;

fn check(json: &str, expected: &str) {
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(value) => value,
        Err(e) => panic!("bad test JSON {json}: {e}"),
    };
    assert_eq!(inspect(&value), expected, "inspecting {json}");
}

#[test]
fn nested() {
    check(
        r##"{"a":1,"b":"x","c":[1,2,3],"d":{"e":null,"f":true}}"##,
        r##"{ a: 1, b: 'x', c: [ 1, 2, 3 ], d: { e: null, f: true } }"##,
    );
}

#[test]
fn deep() {
    check(
        r##"{"a":{"b":{"c":{"d":1}}},"z":2}"##,
        r##"{
  a: { b: { c: { d: 1 } } },
  z: 2
}"##,
    );
}

#[test]
fn deep2() {
    check(
        r##"{"a":{"b":{"c":{}}},"z":[[[1]]]}"##,
        r##"{
  a: { b: { c: {} } },
  z: [ [ [ 1 ] ] ]
}"##,
    );
}

#[test]
fn long_numbers() {
    check(
        r##"[0,7,14,21,28,35,42,49,56,63,70,77,84,91,98,105,112,119,126,133,140,147,154,161,168,175,182,189,196,203]"##,
        r##"[
    0,   7,  14,  21,  28,  35,  42,  49,
   56,  63,  70,  77,  84,  91,  98, 105,
  112, 119, 126, 133, 140, 147, 154, 161,
  168, 175, 182, 189, 196, 203
]"##,
    );
}

#[test]
fn short_strings() {
    check(
        r##"["a","bb","ccc","dd","e","ffff","g","hh"]"##,
        r##"[
  'a',   'bb',
  'ccc', 'dd',
  'e',   'ffff',
  'g',   'hh'
]"##,
    );
}

#[test]
fn quotes() {
    check(
        r##"["it's","say \"hi\"","both ' and \"","all ' \" `","back\\slash","new\nline","tab\tx","ctl\u0001","héllo ✓ 😀"]"##,
        r##"[
  "it's",
  'say "hi"',
  `both ' and "`,
  'all \' " `',
  'back\\slash',
  'new\nline',
  'tab\tx',
  'ctl\x01\x7F\x9F',
  'héllo ✓ 😀'
]"##,
    );
}

#[test]
fn keys() {
    check(
        r##"{"":4,"$d":8,"1abc":2,"_ok":3,"it's":6,"key-with-dash":1,"with space":5,"ÄB":7}"##,
        r##"{
  '': 4,
  '$d': 8,
  '1abc': 2,
  _ok: 3,
  "it's": 6,
  'key-with-dash': 1,
  'with space': 5,
  'ÄB': 7
}"##,
    );
}

#[test]
fn long_string() {
    check(
        r##"{"s":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","short":"a\nb","t":"line one is here\nline two is here and it is quite long to pass the limit of width\nthird"}"##,
        r##"{
  s: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  short: 'a\nb',
  t: 'line one is here\n' +
    'line two is here and it is quite long to pass the limit of width\n' +
    'third'
}"##,
    );
}

#[test]
fn long_line() {
    check(
        r##"{"k":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","l":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}"##,
        r##"{
  k: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  l: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
}"##,
    );
}

#[test]
fn fits() {
    check(
        r##"{"a":"aaaaaaaaaaaaaaaaaaaa","b":"bbbbbbbbbbbbbbbbbbbbbbbbbb","c":"cccccccccccccccccccccccccc","d":12}"##,
        r##"{
  a: 'aaaaaaaaaaaaaaaaaaaa',
  b: 'bbbbbbbbbbbbbbbbbbbbbbbbbb',
  c: 'cccccccccccccccccccccccccc',
  d: 12
}"##,
    );
}

#[test]
fn empty() {
    check(
        r##"{"a":[],"o":{},"s":""}"##,
        r##"{ a: [], o: {}, s: '' }"##,
    );
}

#[test]
fn arr_objs() {
    check(r##"[{"a":1},{"b":2}]"##, r##"[ { a: 1 }, { b: 2 } ]"##);
}

#[test]
fn many() {
    check(
        r##"[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101]"##,
        r##"[
   0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11,
  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
  24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
  60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,
  72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83,
  84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
  96, 97, 98, 99,
  ... 2 more items
]"##,
    );
}

#[test]
fn mixed7() {
    check(
        r##"[1,"two",{"three":3},[4],null,true,7.5]"##,
        r##"[ 1, 'two', { three: 3 }, [ 4 ], null, true, 7.5 ]"##,
    );
}

#[test]
fn strs_long() {
    check(
        r##"["string number 0 is long","string number 1 is long","string number 2 is long","string number 3 is long","string number 4 is long","string number 5 is long","string number 6 is long","string number 7 is long"]"##,
        r##"[
  'string number 0 is long',
  'string number 1 is long',
  'string number 2 is long',
  'string number 3 is long',
  'string number 4 is long',
  'string number 5 is long',
  'string number 6 is long',
  'string number 7 is long'
]"##,
    );
}

#[test]
fn top_empty_arr() {
    check(r##"[]"##, r##"[]"##);
}

#[test]
fn top_str() {
    check(r##""hello""##, r##"'hello'"##);
}

#[test]
fn bools() {
    check(r##"[true,false,null]"##, r##"[ true, false, null ]"##);
}

#[test]
fn monit() {
    check(
        r##"[{"monit":{"cpu":0.5,"memory":123},"name":"api","pid":1234,"pm2_env":{"args":["a","b"],"env":{"A":"1"},"node_args":[],"restart_time":1,"status":"online"},"pm_id":0}]"##,
        r##"[
  {
    monit: { cpu: 0.5, memory: 123 },
    name: 'api',
    pid: 1234,
    pm2_env: {
      args: [ 'a', 'b' ],
      env: { A: '1' },
      node_args: [],
      restart_time: 1,
      status: 'online'
    },
    pm_id: 0
  }
]"##,
    );
}

#[test]
fn mixed_unicode() {
    check(
        r##"["日本語","日本","a","b","c","d","e"]"##,
        r##"[ '日本語', '日本', 'a', 'b', 'c', 'd', 'e' ]"##,
    );
}

#[test]
fn numbers_grouped() {
    check(
        r##"[0,1.5,1e21,1e-7,123456789012,0.1,-3,2.5e-8,1.23e22,0.000001,100,9007199254740993,123.456,5e-324]"##,
        r##"[
             0,              1.5,
         1e+21,             1e-7,
  123456789012,              0.1,
            -3,           2.5e-8,
      1.23e+22,         0.000001,
           100, 9007199254740992,
       123.456,           5e-324
]"##,
    );
}

#[test]
fn nested_long_array() {
    check(
        r##"{"cpu":0.30000000000000004,"n":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100]}"##,
        r##"{
  cpu: 0.30000000000000004,
  n: [
     1,  2,  3,   4,  5,  6,  7,  8,  9, 10, 11, 12,
    13, 14, 15,  16, 17, 18, 19, 20, 21, 22, 23, 24,
    25, 26, 27,  28, 29, 30, 31, 32, 33, 34, 35, 36,
    37, 38, 39,  40, 41, 42, 43, 44, 45, 46, 47, 48,
    49, 50, 51,  52, 53, 54, 55, 56, 57, 58, 59, 60,
    61, 62, 63,  64, 65, 66, 67, 68, 69, 70, 71, 72,
    73, 74, 75,  76, 77, 78, 79, 80, 81, 82, 83, 84,
    85, 86, 87,  88, 89, 90, 91, 92, 93, 94, 95, 96,
    97, 98, 99, 100
  ]
}"##,
    );
}
