/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Safe file primitives: opening without following symbolic links,
 * writing everything or failing, fsync of files and directories, the
 * atomic replacement of a file (temporary name, fsync, rename, fsync of
 * the directory) and bounded reading. They turn every errno into a
 * GError; what a failure means for a message is decided by the caller.
 *
 * Failures of write(), fsync(), close() and rename() are always
 * MM_ERROR_TEMPORARY: the data did not reach the disk, whatever the
 * errno says, and trying again later is the only sensible answer.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Opens @path with O_NOFOLLOW and O_CLOEXEC added to @flags, then
 * checks with fstat() that it is a regular file (a directory when
 * @flags has O_DIRECTORY). Returns the descriptor, or -1 with the error
 * of mm_error_set_errno() (MM_ERROR_NOT_FOUND for ENOENT,
 * MM_ERROR_PERMISSION, ...), MM_ERROR_FAILED for a symbolic link or a
 * file of the wrong type. */
int mm_fs_open(const char *path, int flags, mode_t mode, GError **error);

/* Writes all @len bytes, retrying after EINTR and partial writes.
 * @what names the file in the message. MM_ERROR_TEMPORARY on failure
 * (a write that makes no progress counts as ENOSPC). */
gboolean mm_fs_write_all(int fd, const void *buf, gsize len, const char *what, GError **error);

/* Writes all of @iov (@n parts, at most IOV_MAX) as mm_fs_write_all()
 * does, in one writev(2) when the kernel takes it all. */
gboolean mm_fs_writev_all(int fd, const struct iovec *iov, int n, const char *what, GError **error);

/* Creates @name in the directory open as @dir_fd (openat(2) with
 * O_CREAT, O_NOFOLLOW and O_CLOEXEC added to @flags). With O_EXCL in
 * @flags the file is new and ours; without it, an existing file must
 * be a regular one. Returns the descriptor, or -1 with the error of
 * mm_fs_open(). */
int mm_fs_create_at(int dir_fd, const char *name, int flags, mode_t mode, GError **error);

/* Starts writing @fd's dirty pages to the disk without waiting
 * (sync_file_range(2) SYNC_FILE_RANGE_WRITE), so that the write-back
 * of several files overlaps and the fsync() of each that must follow
 * finds its data under way. Only a hint: it proves nothing about
 * durability, and its failure (or its absence) is ignored. */
void mm_fs_start_writeback(int fd);

/* fsync(2). MM_ERROR_TEMPORARY on failure. */
gboolean mm_fs_fsync(int fd, const char *what, GError **error);

/* fsync(2) of the directory @path, so that a creation, rename or
 * unlink in it is on disk. File systems that cannot sync directories
 * (EINVAL) are taken as done. MM_ERROR_TEMPORARY on failure. */
gboolean mm_fs_fsync_dir(const char *path, GError **error);

/* As mm_fs_fsync_dir() for a directory already open as @dir_fd;
 * @what names it in the message. */
gboolean mm_fs_fsync_dir_fd(int dir_fd, const char *what, GError **error);

/* close(2) that reports its error (NFS and some file systems report
 * write errors only here). The descriptor is gone either way. Does
 * nothing for a negative @fd. MM_ERROR_TEMPORARY on failure. */
gboolean mm_fs_close(int fd, const char *what, GError **error);

/* Replaces @dir/@name by @len bytes of @data: writes them to
 * @dir/@tmp_name (created or truncated, mode @mode), fsyncs it,
 * renames it over @dir/@name and fsyncs @dir. On failure the temporary
 * file is removed and @dir/@name is untouched. MM_ERROR_TEMPORARY for
 * every failure after the temporary file was opened. */
gboolean mm_fs_replace(const char *dir, const char *name, const char *tmp_name, const void *data,
                       gsize len, mode_t mode, GError **error);

/* Reads @fd from its current offset to the end. More than @max bytes
 * is MM_ERROR_LIMIT. Returns a new GBytes (caller unrefs), or NULL with
 * the error. */
GBytes *mm_fs_read_all(int fd, gsize max, const char *what, GError **error);

/* Points standard input and output (and error, with @with_stderr) at
 * /dev/null: for processes that go on after the caller's terminal or
 * pipes must be let go. Best effort: when /dev/null cannot be opened
 * the descriptors stay as they are. */
void mm_fs_stdio_to_null(gboolean with_stderr);
