//! `pm2 serve`: a folder over HTTP as the managed app `static-page-server-<port>`: files
//! with their content types, 404s, nothing outside the folder, `--spa`, basic auth.

use crate::common;

use common::http::{free_port, http_request};
use common::{wait_until, Pm2};

/// A site in `site/` with a secret beside it, served on a free port with `extra` flags;
/// returns the port once it answers.
fn serve(pm2: &Pm2, extra: &[&str]) -> u16 {
    pm2.write("site/index.html", "<h1>home</h1>\n", false);
    pm2.write("site/docs/guide.txt", "read me\n", false);
    pm2.write("site/app.js", "console.log(1)\n", false);
    pm2.write("secret.txt", "do not serve\n", false);
    let port = free_port();
    let port_text = port.to_string();
    let mut args = vec!["serve", "site", port_text.as_str()];
    args.extend_from_slice(extra);
    let run = pm2.run(&args).ok();
    assert!(
        run.stdout.contains(&format!(
            "Serving {}",
            pm2.work()
                .join("site")
                .canonicalize()
                .expect("site")
                .display()
        )),
        "{run:?}"
    );
    wait_until("the server to answer", || {
        http_request(port, "/", &["Authorization: Basic dTpw"]).is_ok()
    });
    port
}

#[test]
fn serves_files_as_a_managed_app_and_404s_the_rest() {
    let pm2 = Pm2::new();
    let port = serve(&pm2, &[]);
    let p = pm2.process(0).expect("the server app");
    assert_eq!(p["name"], format!("static-page-server-{port}"));
    assert_eq!(p["pm2_env"]["status"], "online");

    let (status, head, body) = http_request(port, "/", &[]).expect("GET /");
    assert_eq!((status, body.as_str()), (200, "<h1>home</h1>\n"));
    assert!(
        head.to_lowercase().contains("content-type: text/html"),
        "{head}"
    );
    let (status, head, body) = http_request(port, "/docs/guide.txt", &[]).expect("txt");
    assert_eq!((status, body.as_str()), (200, "read me\n"));
    assert!(
        head.to_lowercase().contains("content-type: text/plain"),
        "{head}"
    );
    let (_, head, _) = http_request(port, "/app.js", &[]).expect("js");
    assert!(
        head.to_lowercase()
            .contains("content-type: application/javascript"),
        "{head}"
    );
    let (status, _, body) = http_request(port, "/nope.html", &[]).expect("missing");
    assert_eq!((status, body.as_str()), (404, "404 Not Found"));
}

#[test]
fn nothing_outside_the_folder_is_served() {
    let pm2 = Pm2::new();
    let port = serve(&pm2, &[]);
    for path in [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/docs/..%2f..%2fsecret.txt",
    ] {
        let (status, _, body) = http_request(port, path, &[]).expect("an answer");
        assert!(status == 404 || status == 403, "{path}: {status} {body}");
        assert!(!body.contains("do not serve"), "{path} leaked the file");
    }
    std::os::unix::fs::symlink(
        pm2.work().join("secret.txt"),
        pm2.work().join("site/link.txt"),
    )
    .expect("symlink");
    let (status, _, body) = http_request(port, "/link.txt", &[]).expect("link");
    assert_eq!(status, 403, "{body}");
}

#[test]
fn spa_falls_back_to_index_html() {
    let pm2 = Pm2::new();
    let port = serve(&pm2, &["--spa"]);
    let (status, _, body) = http_request(port, "/some/client/route", &[]).expect("route");
    assert_eq!((status, body.as_str()), (200, "<h1>home</h1>\n"));
    let (status, _, body) = http_request(port, "/docs/guide.txt", &[]).expect("file");
    assert_eq!((status, body.as_str()), (200, "read me\n"));
}

#[test]
fn basic_auth_asks_for_the_credentials() {
    let pm2 = Pm2::new();
    let port = serve(
        &pm2,
        &["--basic-auth-username", "u", "--basic-auth-password", "p"],
    );
    let (status, head, _) = http_request(port, "/", &[]).expect("no credentials");
    assert_eq!(status, 401);
    assert!(head.contains("Basic realm="), "{head}");
    let (status, _, _) =
        http_request(port, "/", &["Authorization: Basic dTp3cm9uZw=="]).expect("wrong password");
    assert_eq!(status, 401);
    // base64("u:p")
    let (status, _, body) =
        http_request(port, "/", &["Authorization: Basic dTpw"]).expect("credentials");
    assert_eq!((status, body.as_str()), (200, "<h1>home</h1>\n"));
}

#[test]
fn half_of_basic_auth_is_refused() {
    let pm2 = Pm2::new();
    pm2.write("site/index.html", "x", false);
    let run = pm2
        .run(&["serve", "site", "--basic-auth-username", "u"])
        .failed();
    assert!(run.stderr.contains("go together"), "{run:?}");
}

/// `--ftp` (PM2 7): a folder without `index.html` is listed, one with it is served.
#[test]
fn ftp_lists_folders_without_an_index() {
    let pm2 = Pm2::new();
    let port = serve(&pm2, &["--ftp"]);
    let (status, head, body) = http_request(port, "/docs/", &[]).expect("GET /docs/");
    assert_eq!(status, 200, "{head}");
    assert!(body.contains("Index of /docs/"), "{body}");
    assert!(body.contains("href=\"guide.txt\""), "{body}");
    let (status, _, body) = http_request(port, "/", &[]).expect("GET /");
    assert_eq!((status, body.as_str()), (200, "<h1>home</h1>\n"));
    let (status, _, _) = http_request(port, "/docs/../../secret.txt", &[]).expect("escape");
    assert_ne!(status, 200);
}
