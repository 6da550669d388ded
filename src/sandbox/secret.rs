//! The sandbox's password: 24 random bytes from `/dev/urandom`, made for one sandbox and
//! required (scram-sha-256) on its TCP port. initdb reads it from a file only the server's
//! user can read, deleted once initdb is done; its owner gets it in a `pgpass` file (mode
//! 0600, theirs) inside the sandbox's 0700 directory, for `PGPASSFILE=…`. The unix socket
//! needs none: only the owner (and the server's user) can enter that directory.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::db::conninfo::Secret;

/// A new random password: 24 bytes of `/dev/urandom`, in hex (48 characters, nothing to quote
/// in a connection string, a URL or a pgpass line).
pub(super) fn generate() -> std::io::Result<Secret> {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// Create `path` (it must not exist) with mode 0600 and write `contents`.
pub(super) fn write_new_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

/// The pgpass lines for the superuser on the sandbox's TCP port (127.0.0.1 and localhost).
pub(super) fn passfile_lines(port: u16, user: &str, password: &Secret) -> String {
    ["127.0.0.1", "localhost"].iter().map(|host| format!("{host}:{port}:*:{user}:{}\n", password.expose())).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_random_hex_of_192_bits() {
        let (a, b) = (super::generate().unwrap(), super::generate().unwrap());
        assert_eq!(a.expose().len(), 48);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(format!("{a:?} {a}"), "******** ********", "never shown");
    }

    #[test]
    fn the_passfile_names_both_loopback_spellings() {
        let pw = crate::db::conninfo::Secret::new("ab12");
        assert_eq!(
            super::passfile_lines(5433, "postgres", &pw),
            "127.0.0.1:5433:*:postgres:ab12\nlocalhost:5433:*:postgres:ab12\n"
        );
    }
}
