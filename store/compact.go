package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// compactTxSize bounds one transaction of a compaction (bytes copied), so memory stays
// flat however big the database.
const compactTxSize = 16 << 20

// Compact gives the free pages of the database at path back to the file system: bbolt
// reuses freed pages but never shrinks its file. It copies the live data into a new file
// (bbolt compact: fresh pages, filled to the page size, in transactions of 16 MiB), syncs
// it, and renames it over the original; a crash at any point leaves either the old file or
// the new one, complete. It holds the database's lock throughout, so it fails with
// ErrLocked while terminald runs: compact with the daemon stopped. It returns the file's
// size before and after.
func Compact(path string, timeout time.Duration) (before, after int64, err error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, OpenFile: openExisting})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return 0, 0, fmt.Errorf("store: compact %s: %w", path, ErrLocked)
		}
		// "open PATH: …" would say the path a second time.
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
			err = pe.Err
		}
		return 0, 0, fmt.Errorf("store: compact %s: %w", path, err)
	}
	defer src.Close()
	if fi, err := os.Stat(path); err == nil {
		before = fi.Size()
	}
	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	if err := bolt.Compact(dst, src, compactTxSize); err != nil {
		dst.Close()
		os.Remove(tmp)
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return before, 0, fmt.Errorf("store: compact: sync: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return before, 0, fmt.Errorf("store: compact: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return before, 0, fmt.Errorf("store: compact: sync directory: %w", err)
	}
	if fi, err := os.Stat(path); err == nil {
		after = fi.Size()
	}
	return before, after, nil
}

// openExisting opens the source of a compaction without creating it.
func openExisting(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag&^os.O_CREATE, perm)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
