//! The boot scripts, built in from `deploy/init/`, and their placeholders (PM2's names:
//! `%PM2_PATH%`, `%NODE_PATH%`, `%USER%`, `%HOME_PATH%`, `%SERVICE_NAME%`).

use super::Platform;

/// One boot script with placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// Its file name under `deploy/init/`.
    pub file: &'static str,
    text: &'static str,
    xml: bool,
}

/// systemd unit (`Type=forking`, `PIDFile` in `PM2_HOME`).
pub const SYSTEMD: Template = Template {
    file: "systemd.service",
    text: include_str!("../../../deploy/init/systemd.service"),
    xml: false,
};

/// systemd unit started once the network is online (`--wait-ip`).
pub const SYSTEMD_ONLINE: Template = Template {
    file: "systemd-online.service",
    text: include_str!("../../../deploy/init/systemd-online.service"),
    xml: false,
};

/// init.d script for upstart and systemv (LSB and chkconfig headers).
pub const INIT_D: Template = Template {
    file: "init.d.sh",
    text: include_str!("../../../deploy/init/init.d.sh"),
    xml: false,
};

/// OpenRC script.
pub const OPENRC: Template = Template {
    file: "openrc.sh",
    text: include_str!("../../../deploy/init/openrc.sh"),
    xml: false,
};

/// FreeBSD rc.d script.
pub const RCD: Template = Template {
    file: "rc.d.sh",
    text: include_str!("../../../deploy/init/rc.d.sh"),
    xml: false,
};

/// macOS LaunchAgent.
pub const LAUNCHD: Template = Template {
    file: "launchd.plist",
    text: include_str!("../../../deploy/init/launchd.plist"),
    xml: true,
};

/// Every template.
pub const ALL: [Template; 6] = [SYSTEMD, SYSTEMD_ONLINE, INIT_D, OPENRC, RCD, LAUNCHD];

/// What the placeholders stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    /// `%PM2_PATH%`: the `pm2` binary.
    pub pm2_path: String,
    /// `%NODE_PATH%`: the `PATH` for the daemon and its apps.
    pub path: String,
    /// `%USER%`.
    pub user: String,
    /// `%HOME_PATH%`: the `PM2_HOME` (`<home>/.pm2`).
    pub pm2_home: String,
    /// `%SERVICE_NAME%`.
    pub service_name: String,
}

impl Values {
    fn get(&self, placeholder: &str) -> Option<&str> {
        Some(match placeholder {
            "PM2_PATH" => &self.pm2_path,
            "NODE_PATH" => &self.path,
            "USER" => &self.user,
            "HOME_PATH" => &self.pm2_home,
            "SERVICE_NAME" => &self.service_name,
            _ => return None,
        })
    }
}

impl Template {
    /// The template a platform uses (`wait_ip`: systemd waits for the network to be online).
    pub fn for_platform(platform: Platform, wait_ip: bool) -> Template {
        match platform {
            Platform::Systemd if wait_ip => SYSTEMD_ONLINE,
            Platform::Systemd => SYSTEMD,
            Platform::Upstart | Platform::Systemv => INIT_D,
            Platform::Openrc => OPENRC,
            Platform::Rcd => RCD,
            Platform::Launchd => LAUNCHD,
        }
    }

    /// The text with every placeholder replaced, in one pass (a value that happens to
    /// contain `%USER%` stays as it is); values are escaped in XML templates.
    pub fn render(&self, values: &Values) -> String {
        let mut out = String::with_capacity(self.text.len() + 256);
        let mut rest = self.text;
        while let Some(start) = rest.find('%') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let value = after
                .find('%')
                .and_then(|end| Some((end, values.get(&after[..end])?)));
            match value {
                Some((end, value)) => {
                    if self.xml {
                        push_xml_escaped(&mut out, value);
                    } else {
                        out.push_str(value);
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push('%');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn push_xml_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values {
            pm2_path: "/usr/local/bin/pm2".into(),
            path: "/usr/local/bin:/usr/bin".into(),
            user: "app".into(),
            pm2_home: "/home/app/.pm2".into(),
            service_name: "pm2-app".into(),
        }
    }

    /// Any `%NAME%` left in a rendered text, NAME being a placeholder-like word.
    fn leftover(text: &str) -> Option<String> {
        let mut parts = text.split('%').skip(1).step_by(2);
        parts
            .find(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .map(str::to_owned)
    }

    #[test]
    fn every_template_is_filled() {
        for template in ALL {
            let text = template.render(&values());
            assert_eq!(leftover(&text), None, "{}:\n{text}", template.file);
            assert!(
                !text.contains("%PM2_PATH%") && !text.contains("%USER%"),
                "{}",
                template.file
            );
            assert!(text.contains("/usr/local/bin/pm2"), "{}", template.file);
            assert!(text.contains("resurrect"), "{}", template.file);
            assert!(text.contains("app"), "{}", template.file);
        }
    }

    #[test]
    fn systemd_unit_as_pm2_writes_it() {
        let text = SYSTEMD.render(&values());
        for line in [
            "Type=forking",
            "User=app",
            "Environment=PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
            "Environment=PM2_HOME=/home/app/.pm2",
            "PIDFile=/home/app/.pm2/pm2.pid",
            "Restart=on-failure",
            "ExecStart=/usr/local/bin/pm2 resurrect",
            "ExecReload=/usr/local/bin/pm2 reload all",
            "ExecStop=/usr/local/bin/pm2 kill",
            "WantedBy=multi-user.target",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn wait_ip_waits_for_network_online() {
        let text = Template::for_platform(Platform::Systemd, true).render(&values());
        assert!(text.contains("After=network-online.target"), "{text}");
        assert!(
            text.contains("ExecStart=/usr/local/bin/pm2 resurrect"),
            "{text}"
        );
        let text = Template::for_platform(Platform::Systemd, false).render(&values());
        assert!(!text.contains("network-online"), "{text}");
    }

    #[test]
    fn init_scripts_name_the_service_and_user() {
        for platform in [Platform::Upstart, Platform::Systemv] {
            let text = Template::for_platform(platform, false).render(&values());
            assert!(text.starts_with("#!/bin/sh\n"), "{text}");
            assert!(text.contains("# Provides:          pm2-app\n"), "{text}");
            assert!(text.contains("PM2=\"/usr/local/bin/pm2\"\n"), "{text}");
            assert!(text.contains("PM2_USER=\"app\"\n"), "{text}");
            assert!(
                text.contains("export PM2_HOME=\"/home/app/.pm2\"\n"),
                "{text}"
            );
        }
        let text = OPENRC.render(&values());
        assert!(text.starts_with("#!/sbin/openrc-run\n"), "{text}");
        assert!(text.contains("user=\"app\""), "{text}");
        let text = RCD.render(&values());
        assert!(text.contains("rcvar=\"pm2-app_enable\""), "{text}");
        assert!(text.contains("su -m \"app\""), "{text}");
    }

    #[test]
    fn launchd_plist_escapes_values() {
        let mut values = values();
        values.pm2_home = "/Users/a&b/.pm2".into();
        values.service_name = "pm2.app".into();
        let text = LAUNCHD.render(&values);
        assert!(
            text.contains("<string>/Users/a&amp;b/.pm2</string>"),
            "{text}"
        );
        assert!(
            text.contains("<key>Label</key>\n  <string>pm2.app</string>"),
            "{text}"
        );
        assert!(
            text.contains("<string>/usr/local/bin/pm2</string>\n    <string>resurrect</string>"),
            "{text}"
        );
    }

    #[test]
    fn one_pass_leaves_values_alone() {
        let mut values = values();
        values.path = "/odd/%USER%/bin".into();
        let text = SYSTEMD.render(&values);
        assert!(text.contains("Environment=PATH=/odd/%USER%/bin:"), "{text}");
        assert!(text.contains("User=app"), "{text}");
    }

    #[test]
    fn a_lone_percent_is_kept() {
        let template = Template {
            file: "t",
            text: "100% %USER% 50%",
            xml: false,
        };
        assert_eq!(template.render(&values()), "100% app 50%");
    }
}
