// Package atomicfile replaces a file so that readers, and the disk after a
// crash, see either the old file or the complete new one: the content goes
// into a temporary file in the same directory, which is fsynced, given its
// permissions, renamed over the target, and the directory is fsynced so the
// rename itself survives a power cut.
package atomicfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with what write writes, with permissions perm. When
// write or any step fails, path is left as it was and the temporary file is
// removed.
func Write(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	return Fill(path, perm, func(tmp string) error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		err = write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// Fill is Write for content that a library writes to a file by name (a
// bbolt database, for one): fill receives the path of an empty temporary
// file next to path, may write, replace or check it, and path is replaced by
// it only when fill returns nil. A fill that replaces the temporary file
// must leave a regular file at the same name.
func Fill(path string, perm fs.FileMode, fill func(tmp string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	// Until the rename, the temporary file is the only thing that exists.
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = f.Close(); err != nil {
		return err
	}
	if err = fill(tmp); err != nil {
		return err
	}
	if err = syncFile(tmp); err != nil {
		return err
	}
	if err = os.Chmod(tmp, perm); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncFile fsyncs the file at path, reopened: fill may have written it
// through a handle of its own, or renamed another file over it.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Not every filesystem can fsync a
// directory; the file's content is already durable, so a failure here is
// not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
