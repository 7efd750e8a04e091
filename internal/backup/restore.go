package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// RestoreOpts are Restore's optional arguments; nil means the defaults.
type RestoreOpts struct {
	// CheckFunc, if set, is called with the verified copy's path before it
	// replaces the database; an error stops the restore. `herald restore`
	// opens the copy as serve would, which applies pending migrations and
	// checks that the stored secrets open with HERALD_ENCRYPTION_KEY.
	CheckFunc func(ctx context.Context, path string) error
	// NowFunc names the replaced database. Default: time.Now.
	NowFunc func() time.Time
}

// RestoreResult describes a finished restore.
type RestoreResult struct {
	// Bytes is the size of the restored file.
	Bytes int64
	// Versions are the migrations the backup recorded; Pending, those the
	// running binary has and the backup did not (see VerifyResult).
	Versions, Pending []int
	// Replaced is where the database that was at the target went, kept
	// until the operator deletes it; "" if there was none.
	Replaced string
}

// Restore replaces the SQLite database at target with the backup at from.
// The caller must hold the data directory's lock: nothing may have target
// open.
//
// It copies from to a temporary file beside target (so the rename stays
// on one file system, and what is checked is what is swapped in), checks
// the copy with Verify and opts.CheckFunc, moves the current database and
// its WAL aside to target.replaced-TIME (never deleted: a wrong restore
// can be undone), and renames the copy to target.
func Restore(ctx context.Context, from, target string, known []int, opts *RestoreOpts) (*RestoreResult, error) {
	if opts == nil {
		opts = &RestoreOpts{}
	}
	now := opts.NowFunc
	if now == nil {
		now = time.Now
	}
	in, err := os.Open(from)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("restore: %s is not a regular file", from)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".restore-*")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	tmpPath := tmp.Name()
	done := false
	defer func() {
		if !done {
			for _, p := range []string{tmpPath, tmpPath + "-wal", tmpPath + "-shm"} {
				_ = os.Remove(p)
			}
		}
	}()
	size, err := io.Copy(tmp, in)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("restore: copy %s: %w", from, err)
	}

	vr, err := Verify(ctx, tmpPath, known)
	if err != nil {
		return nil, fmt.Errorf("restore: %s: %w", from, err)
	}
	if opts.CheckFunc != nil {
		if err := opts.CheckFunc(ctx, tmpPath); err != nil {
			return nil, fmt.Errorf("restore: %s: %w", from, err)
		}
		// The check's connections are closed, so SQLite checkpointed the
		// copy's WAL into it and removed it. A WAL left with content
		// would be lost in the rename.
		if fi, err := os.Stat(tmpPath + "-wal"); err == nil && fi.Size() > 0 {
			return nil, fmt.Errorf("restore: the checked copy %s still has a write-ahead log", tmpPath)
		}
		_ = os.Remove(tmpPath + "-wal")
		_ = os.Remove(tmpPath + "-shm")
		if size, err = syncFile(tmpPath); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}

	// The restored file belongs to whoever owned the database it
	// replaces, or the data directory if there was none.
	owner := target
	if _, err := os.Stat(target); err != nil {
		owner = filepath.Dir(target)
	}
	if err := matchOwner(tmpPath, owner); err != nil {
		return nil, fmt.Errorf("restore: give the restored file the owner of %s: %w", owner, err)
	}

	res := &RestoreResult{Bytes: size, Versions: vr.Versions, Pending: vr.Pending}
	switch _, err := os.Stat(target); {
	case err == nil:
		res.Replaced = target + ".replaced-" + now().UTC().Format("20060102T150405Z")
		if err := os.Rename(target, res.Replaced); err != nil {
			return nil, fmt.Errorf("restore: move the current database aside: %w", err)
		}
		// The WAL goes with its database (SQLite finds it by name), so
		// the replaced database opens whole. The -shm is an index
		// rebuilt from the WAL; with no process attached it can go.
		if err := os.Rename(target+"-wal", res.Replaced+"-wal"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("restore: move the current write-ahead log aside: %w", err)
		}
	case errors.Is(err, fs.ErrNotExist):
		// A stray WAL without its database would be applied to the
		// restored one.
		if err := os.Remove(target + "-wal"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("restore: %w", err)
		}
	default:
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := os.Remove(target + "-shm"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmpPath, target); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	done = true
	if err := syncDir(filepath.Dir(target)); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return res, nil
}
