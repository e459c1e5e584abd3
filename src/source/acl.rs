//! POSIX access control lists (Linux's `system.posix_acl_*` attributes) for
//! the files [`super::archive::AtomicFile`] writes: a file replaced keeps
//! its list, and a new file in a directory with a default list gets what
//! the kernel would give a file made there. Only the mode's bits were
//! kept: where a list has a mask, the mode's group bits are that mask, so
//! the copy gave the owning group the named users' access (a review
//! found the list lost; after `setfacl -m u:bob:rw,g::-` a fetch gave the
//! owning group `rw`).
//!
//! The attribute's value is Linux's `posix_acl_xattr` layout: a 4-byte
//! version (2), then 8-byte entries of tag, permissions and id, little
//! endian.

use std::ffi::CString;
use std::fs;
use std::io;
use std::path::Path;

/// The list that decides who may open a file.
pub const ACCESS: &str = "system.posix_acl_access";
/// A directory's list that files made in it take.
pub const DEFAULT: &str = "system.posix_acl_default";

const VERSION: u32 = 2;
pub(crate) const USER_OBJ: u16 = 0x01;
pub(crate) const GROUP_OBJ: u16 = 0x04;
pub(crate) const MASK: u16 = 0x10;
pub(crate) const OTHER: u16 = 0x20;

/// The list `name` of `path` (links followed), or `None` where it has none
/// or the file system keeps none (or it cannot be read: then nothing is
/// copied, as before lists were).
#[cfg(target_os = "linux")]
pub fn get(path: &Path, name: &str) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt as _;
    let path = CString::new(path.as_os_str().as_bytes()).ok()?;
    let name = CString::new(name).ok()?;
    let mut value = vec![0u8; 1024];
    loop {
        // SAFETY: both strings end with NUL; the buffer is `value.len()` long.
        let size = unsafe {
            libc::getxattr(
                path.as_ptr(),
                name.as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        if let Ok(size) = usize::try_from(size) {
            value.truncate(size);
            return Some(value);
        }
        // Larger than the buffer (ERANGE): ask again, with more room.
        if io::Error::last_os_error().raw_os_error() != Some(libc::ERANGE) || value.len() > 1 << 20
        {
            return None;
        }
        value.resize(value.len() * 4, 0);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn get(_: &Path, _: &str) -> Option<Vec<u8>> {
    None
}

/// Gives `file` the access list `value`.
#[cfg(target_os = "linux")]
pub fn set(file: &fs::File, value: &[u8]) -> io::Result<()> {
    set_named(file, ACCESS, value)
}

/// Gives `file` the list `name` (the access list, or a directory's default).
#[cfg(target_os = "linux")]
fn set_named(file: &fs::File, name: &str, value: &[u8]) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let name = CString::new(name)?;
    // SAFETY: the name ends with NUL; the value is `value.len()` long.
    let done = unsafe {
        libc::fsetxattr(
            file.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub fn set(_: &fs::File, _: &[u8]) -> io::Result<()> {
    Ok(())
}

/// Whether `error` says the file system keeps no lists.
pub fn unsupported(error: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if error.raw_os_error() == Some(libc::EOPNOTSUPP) {
        return true;
    }
    error.kind() == io::ErrorKind::Unsupported
}

/// Takes `file`'s access list away, if it has one (its mode alone then
/// says who may open it).
#[cfg(target_os = "linux")]
pub fn remove(file: &fs::File) -> io::Result<()> {
    use std::os::fd::AsRawFd as _;
    let name = CString::new(ACCESS).expect("no NUL in the name");
    // SAFETY: the name ends with NUL.
    if unsafe { libc::fremovexattr(file.as_raw_fd(), name.as_ptr()) } == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::ENODATA) => Ok(()),
        _ if unsupported(&error) => Ok(()),
        _ => Err(error),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn remove(_: &fs::File) -> io::Result<()> {
    Ok(())
}

/// The access list and mode a file made with `mode` (as `open(2)`'s) takes
/// in a directory whose default list is `default`: the kernel's rule, the
/// umask not applied (the owner's, the mask's, or without a mask the
/// group's, and the others' permissions each limited by the mode's, and
/// the mode by them). `None` for a value not in the layout above.
pub fn inherited(default: &[u8], mode: u32) -> Option<(Vec<u8>, u32)> {
    let (head, entries) = default.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*head) != VERSION || entries.len() % 8 != 0 {
        return None;
    }
    let mut value = default.to_vec();
    let find = |value: &[u8], tag: u16| {
        (4..value.len())
            .step_by(8)
            .find(|&at| u16::from_le_bytes([value[at], value[at + 1]]) == tag)
    };
    let mut result = mode & !0o777;
    let group = find(&value, MASK).or_else(|| find(&value, GROUP_OBJ))?;
    for (tag, shift) in [(USER_OBJ, 6), (OTHER, 0)] {
        let at = find(&value, tag)?;
        let perm = limit(&mut value, at, (mode >> shift) & 0o7);
        result |= perm << shift;
    }
    result |= limit(&mut value, group, (mode >> 3) & 0o7) << 3;
    Some((value, result))
}

/// `mode` allowing no more than the list `value` does where it cannot be
/// kept: its group bits are the list's mask, which named users and groups
/// had, so the owning group gets its own entry (limited by the mask), and
/// named users and groups lose their access. `mode` as it is for a value not
/// in the layout.
pub fn narrowed(mode: fs::Permissions, value: &[u8]) -> fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let perm = |tag: u16| {
            let entries = value.get(4..)?.chunks_exact(8);
            (entries.into_iter())
                .find(|e| u16::from_le_bytes([e[0], e[1]]) == tag)
                .map(|e| u32::from(u16::from_le_bytes([e[2], e[3]])) & 0o7)
        };
        let (Some(owner), Some(group), Some(other)) =
            (perm(USER_OBJ), perm(GROUP_OBJ), perm(OTHER))
        else {
            return mode;
        };
        let group = group & perm(MASK).unwrap_or(0o7);
        fs::Permissions::from_mode((mode.mode() & !0o777) | owner << 6 | group << 3 | other)
    }
    #[cfg(not(unix))]
    {
        let _ = value;
        mode
    }
}

/// Limits the entry at `at` to `bits`, giving what it then allows.
fn limit(value: &mut [u8], at: usize, bits: u32) -> u32 {
    let perm = u32::from(u16::from_le_bytes([value[at + 2], value[at + 3]])) & bits;
    value[at + 2..at + 4].copy_from_slice(&(perm as u16).to_le_bytes());
    perm
}

/// A list of `(tag, perm, id)` in the attribute's layout.
#[cfg(test)]
pub(crate) fn encode(entries: &[(u16, u16, u32)]) -> Vec<u8> {
    let mut value = VERSION.to_le_bytes().to_vec();
    for (tag, perm, id) in entries {
        value.extend(tag.to_le_bytes());
        value.extend(perm.to_le_bytes());
        value.extend(id.to_le_bytes());
    }
    value
}

/// Gives `path` (a file, or a directory) the list `name` (a test's
/// `setfacl`), or says why not.
#[cfg(all(test, target_os = "linux"))]
pub(crate) fn set_path(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    set_named(&fs::File::open(path)?, name, value)
}

/// Tags of the entries of a user and of a group named by id.
#[cfg(test)]
pub(crate) const USER: u16 = 0x02;
#[cfg(test)]
pub(crate) const ANY: u32 = u32::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_takes_the_default_list_limited_by_its_mode() {
        // default:user::rwx, user:65534:rwx, group::r-x, mask::rwx, other::r-x
        let default = encode(&[
            (USER_OBJ, 7, ANY),
            (USER, 7, 65534),
            (GROUP_OBJ, 5, ANY),
            (MASK, 7, ANY),
            (OTHER, 5, ANY),
        ]);
        let (value, mode) = inherited(&default, 0o666).unwrap();
        // What `touch` gets there (getfacl): the mask limits the named user.
        let made = encode(&[
            (USER_OBJ, 6, ANY),
            (USER, 7, 65534),
            (GROUP_OBJ, 5, ANY),
            (MASK, 6, ANY),
            (OTHER, 4, ANY),
        ]);
        assert_eq!((value, mode), (made, 0o664));
        // Without a mask, the group's entry is limited.
        let plain = encode(&[(USER_OBJ, 6, ANY), (GROUP_OBJ, 0, ANY), (OTHER, 7, ANY)]);
        let (value, mode) = inherited(&plain, 0o644).unwrap();
        let made = encode(&[(USER_OBJ, 6, ANY), (GROUP_OBJ, 0, ANY), (OTHER, 4, ANY)]);
        assert_eq!((value, mode), (made, 0o604));
        // Not the layout: nothing inherited.
        assert_eq!(inherited(b"\x01\0\0\0", 0o666), None);
        assert_eq!(inherited(&default[..default.len() - 1], 0o666), None);
        assert_eq!(inherited(&encode(&[(USER_OBJ, 7, ANY)]), 0o666), None);
    }
}
