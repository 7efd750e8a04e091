// Package walvfs registers an SQLite VFS that writes each commit's
// write-ahead log frames in a few pwrites instead of two per page.
//
// SQLite writes a frame as two calls, its 24-byte header and then the page,
// so a commit of 60 pages is 120 pwrite system calls. On this kind of
// machine those 120 calls (headers and pages alternating) took 285 µs of
// CPU, 2.4 µs a call, and the same 245 KB in one call 28 µs (a Go loop on
// ext4): what a call costs is mostly the call. In Herald's full-speed benchmark the log's
// pwrites were 14 % of the node's CPU, and are 5 % through this VFS.
//
// The VFS wraps the default one ("unix") and changes one thing: the log
// file's writes that follow one another are gathered in a buffer, and the
// buffer is written (in calls of up to 128 KiB, the unix VFS's most) before
// anything could need it in the file:
//
//   - when the page of a commit frame (one whose header holds the database's
//     size) has been added. SQLite publishes new frames to readers only at a
//     commit, by writing the wal-index header after the commit frame, so a
//     reader never finds a frame the log file does not hold yet, in this
//     process or another; and the commit's write fails, as it would have,
//     if the pwrite does;
//   - before the log is read, synced, truncated, measured or closed through
//     the same handle, and before a write that does not follow the buffer;
//   - when the buffer holds maxBuffer bytes;
//   - as a safety net, at every shared-memory barrier of a connection to the
//     same database, which SQLite calls while it writes the wal-index header:
//     normally there is nothing left to write by then.
//
// Every other file, and every other call, goes to the wrapped VFS unchanged.
// Durability is unchanged: the frames are in the log file (the kernel's page
// cache) when the commit returns, as before, and a sync of the log writes the
// buffer first.
package walvfs

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Name is the name the VFS is registered under: open a database with
// "?vfs=" + Name in its DSN, after Register.
const Name = "herald-wal"

// maxBuffer is the most a log buffer holds before it is written: a commit
// of up to 250 pages of 4 KB is one flush, of eight calls at most.
const maxBuffer = 1 << 20

// maxWrite is the most one write to the wrapped VFS may hold: the unix
// VFS writes at most 128 KiB - 1 bytes a call (seekAndWriteFd masks the
// length with 0x1ffff), and reports a disk full when a masked length is 0.
const maxWrite = 0x1ffff

const (
	frameHeaderSize = 24
	// fileHeaderSize is the room ahead of the wrapped file in ours: file.
	fileHeaderSize = int32(unsafe.Sizeof(file{}))
)

var (
	registerOnce sync.Once
	registerErr  error
	// base is the wrapped VFS ("unix").
	base uintptr
	// methods are the I/O methods of every file opened through the VFS.
	methods sqlite3.Tsqlite3_io_methods

	// logs holds the open log files (their file.log points at them), mains
	// the paths of the open databases by file.main, and databases the logs
	// of each database path, for the barrier's safety net.
	mu        sync.Mutex
	logs      = map[*logFile]bool{}
	mains     = map[uintptr]string{}
	databases = map[string]map[*logFile]bool{}
	lastMain  uintptr
	// pendingLogs counts the logs that hold bytes, so that a barrier
	// looks for none while there are none (nearly always).
	pendingLogs atomic.Int64

	// writes and flushes count the log's writes as SQLite made them and as
	// they reached the wrapped VFS (Stats).
	writes, flushes atomic.Int64
)

// Register registers the VFS once per process. It is safe to call from many
// goroutines.
func Register() error {
	registerOnce.Do(func() { registerErr = register() })
	return registerErr
}

// Stats returns how many writes SQLite made to write-ahead logs through the
// VFS, and how many writes reached the file system for them.
func Stats() (writesAsked, writesMade int64) {
	return writes.Load(), flushes.Load()
}

// Holding returns how many open logs hold bytes not written yet. It is 0
// whenever no transaction is writing frames: a commit writes what it
// buffered before it returns.
func Holding() int64 { return pendingLogs.Load() }

func register() error {
	tls := libc.NewTLS()
	defer tls.Close()
	base = sqlite3.Xsqlite3_vfs_find(tls, 0)
	if base == 0 {
		return fmt.Errorf("walvfs: SQLite has no default VFS")
	}
	b := (*sqlite3.Tsqlite3_vfs)(pointer(base))
	if b.FiVersion < 1 {
		return fmt.Errorf("walvfs: default VFS version %d", b.FiVersion)
	}
	name, err := libc.CString(Name)
	if err != nil {
		return err
	}
	p := libc.Xcalloc(tls, 1, libc.Tsize_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	if p == 0 {
		return fmt.Errorf("walvfs: out of memory")
	}
	v := (*sqlite3.Tsqlite3_vfs)(pointer(p))
	// Everything but opening a file is the wrapped VFS's own: none of its
	// methods but xOpen look at the VFS they are called through beyond
	// the fields copied here.
	*v = *b
	v.FszOsFile = b.FszOsFile + fileHeaderSize
	v.FpNext = 0
	v.FzName = name
	*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&v.FxOpen)) = vfsOpen

	methods.FiVersion = 3
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&methods.FxClose)) = fileClose
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&methods.FxRead)) = fileRead
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&methods.FxWrite)) = fileWrite
	*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&methods.FxTruncate)) = fileTruncate
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&methods.FxSync)) = fileSync
	*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&methods.FxFileSize)) = fileSize
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&methods.FxLock)) = fileLock
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&methods.FxUnlock)) = fileUnlock
	*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&methods.FxCheckReservedLock)) = fileCheckReservedLock
	*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&methods.FxFileControl)) = fileControl
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&methods.FxSectorSize)) = fileSectorSize
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&methods.FxDeviceCharacteristics)) = fileDeviceCharacteristics
	*(*func(*libc.TLS, uintptr, int32, int32, int32, uintptr) int32)(unsafe.Pointer(&methods.FxShmMap)) = fileShmMap
	*(*func(*libc.TLS, uintptr, int32, int32, int32) int32)(unsafe.Pointer(&methods.FxShmLock)) = fileShmLock
	*(*func(*libc.TLS, uintptr))(unsafe.Pointer(&methods.FxShmBarrier)) = fileShmBarrier
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&methods.FxShmUnmap)) = fileShmUnmap
	*(*func(*libc.TLS, uintptr, int64, int32, uintptr) int32)(unsafe.Pointer(&methods.FxFetch)) = fileFetch
	*(*func(*libc.TLS, uintptr, int64, uintptr) int32)(unsafe.Pointer(&methods.FxUnfetch)) = fileUnfetch

	if rc := sqlite3.Xsqlite3_vfs_register(tls, p, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("walvfs: register: SQLite error %d", rc)
	}
	return nil
}

// file is the layout of an sqlite3_file opened through the VFS: the
// wrapped VFS's file follows it.
type file struct {
	methods uintptr
	// log is the file's *logFile if it is a log (the collector does not
	// move it, and logs keeps it alive while the file is open), else 0.
	log uintptr
	// main is the file's key in mains if it is a database, else 0.
	main uintptr
}

// pointer is the memory at p, an address in SQLite's heap (which the Go
// collector neither moves nor frees) or of a Go global, as SQLite passes
// them: as integers.
func pointer(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

func fileOf(p uintptr) *file { return (*file)(pointer(p)) }

// inner is the wrapped file.
func inner(p uintptr) uintptr { return p + uintptr(fileHeaderSize) }

func innerMethods(p uintptr) *sqlite3.Tsqlite3_io_methods {
	return (*sqlite3.Tsqlite3_io_methods)(pointer((*sqlite3.Tsqlite3_file)(pointer(inner(p))).FpMethods))
}

func vfsOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	f := fileOf(pFile)
	*f = file{}
	b := (*sqlite3.Tsqlite3_vfs)(pointer(base))
	rc := (*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{b.FxOpen})))(tls, base, zName, inner(pFile), flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK {
		// SQLite calls xClose only on a file whose methods are set.
		return rc
	}
	f.methods = uintptr(unsafe.Pointer(&methods))
	switch {
	case zName == 0:
	case flags&sqlite3.SQLITE_OPEN_WAL != 0:
		f.log = openLog(libc.GoString(zName), pFile)
	case flags&sqlite3.SQLITE_OPEN_MAIN_DB != 0:
		f.main = openMain(libc.GoString(zName))
	}
	return rc
}

// logFile is the buffer of one open handle of a log. SQLite uses a handle
// from one connection at a time; mu is for the barrier's safety net, which
// another connection's may run.
type logFile struct {
	mu       sync.Mutex
	database string
	// file is the log's sqlite3_file.
	file uintptr
	// buf holds the bytes of the log from off on not written yet.
	buf []byte
	off int64
	// commitFrame: the last write was the header of a commit frame, so the
	// next is the commit's last page.
	commitFrame bool
	pending     atomic.Bool
}

func openLog(path string, p uintptr) uintptr {
	l := &logFile{database: trimSuffix(path, "-wal"), file: p}
	mu.Lock()
	defer mu.Unlock()
	logs[l] = true
	if databases[l.database] == nil {
		databases[l.database] = map[*logFile]bool{}
	}
	databases[l.database][l] = true
	return uintptr(unsafe.Pointer(l))
}

func openMain(path string) uintptr {
	mu.Lock()
	defer mu.Unlock()
	lastMain++
	mains[lastMain] = path
	return lastMain
}

func trimSuffix(s, suffix string) string {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)]
	}
	return s
}

func logOf(p uintptr) *logFile {
	return (*logFile)(pointer(fileOf(p).log))
}

// flush writes what l holds. l.mu is held.
func (l *logFile) flush(tls *libc.TLS) int32 {
	if len(l.buf) == 0 {
		return sqlite3.SQLITE_OK
	}
	p := l.file
	write := *(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxWrite}))
	rc := int32(sqlite3.SQLITE_OK)
	for done := 0; done < len(l.buf) && rc == sqlite3.SQLITE_OK; {
		n := min(len(l.buf)-done, maxWrite)
		flushes.Add(1)
		rc = write(tls, inner(p), uintptr(unsafe.Pointer(&l.buf[done])), int32(n), l.off+int64(done))
		done += n
	}
	// Written or failed, the bytes are no longer ours to write: a failed
	// write fails SQLite's call, which then does not publish the frames.
	l.buf = l.buf[:0]
	if l.pending.Swap(false) {
		pendingLogs.Add(-1)
	}
	return rc
}

// flushDatabase writes what every log of the database at p holds.
func flushDatabase(tls *libc.TLS, p uintptr) {
	mu.Lock()
	var held []*logFile
	for l := range databases[mains[fileOf(p).main]] {
		if l.pending.Load() {
			held = append(held, l)
		}
	}
	mu.Unlock()
	for _, l := range held {
		l.mu.Lock()
		// The commit that wrote these bytes fails if this write does
		// not (its own flush reports it); nothing can report it here.
		l.flush(tls)
		l.mu.Unlock()
	}
}

// flushLog writes what the file at p holds, if it is a log that holds
// anything.
func flushLog(tls *libc.TLS, p uintptr) int32 {
	l := logOf(p)
	if l == nil || !l.pending.Load() {
		return sqlite3.SQLITE_OK
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flush(tls)
}

func fileWrite(tls *libc.TLS, p, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	l := logOf(p)
	if l == nil {
		return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxWrite})))(tls, inner(p), zBuf, iAmt, iOfst)
	}
	writes.Add(1)
	data := unsafe.Slice((*byte)(pointer(zBuf)), iAmt)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 && (iOfst != l.off+int64(len(l.buf)) || len(l.buf)+len(data) > maxBuffer) {
		if rc := l.flush(tls); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if len(l.buf) == 0 {
		l.off = iOfst
	}
	l.buf = append(l.buf, data...)
	if !l.pending.Swap(true) {
		pendingLogs.Add(1)
	}
	if iAmt == frameHeaderSize {
		// A frame's header: bytes 4-7 are the database's size in pages
		// after a commit, in a commit's last frame, and 0 in the others.
		l.commitFrame = binary.BigEndian.Uint32(data[4:8]) != 0
		return sqlite3.SQLITE_OK
	}
	if l.commitFrame {
		l.commitFrame = false
		return l.flush(tls)
	}
	return sqlite3.SQLITE_OK
}

func fileClose(tls *libc.TLS, p uintptr) int32 {
	f := fileOf(p)
	var rc int32 = sqlite3.SQLITE_OK
	if l := logOf(p); l != nil {
		l.mu.Lock()
		rc = l.flush(tls)
		l.mu.Unlock()
		mu.Lock()
		delete(logs, l)
		delete(databases[l.database], l)
		if len(databases[l.database]) == 0 {
			delete(databases, l.database)
		}
		mu.Unlock()
	}
	if f.main != 0 {
		mu.Lock()
		delete(mains, f.main)
		mu.Unlock()
	}
	*f = file{methods: f.methods}
	if rc2 := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxClose})))(tls, inner(p)); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func fileRead(tls *libc.TLS, p, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := flushLog(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxRead})))(tls, inner(p), zBuf, iAmt, iOfst)
}

func fileTruncate(tls *libc.TLS, p uintptr, size int64) int32 {
	if rc := flushLog(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxTruncate})))(tls, inner(p), size)
}

func fileSync(tls *libc.TLS, p uintptr, flags int32) int32 {
	if rc := flushLog(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxSync})))(tls, inner(p), flags)
}

func fileSize(tls *libc.TLS, p, pSize uintptr) int32 {
	if rc := flushLog(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxFileSize})))(tls, inner(p), pSize)
}

func fileControl(tls *libc.TLS, p uintptr, op int32, pArg uintptr) int32 {
	if rc := flushLog(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxFileControl})))(tls, inner(p), op, pArg)
}

func fileLock(tls *libc.TLS, p uintptr, eLock int32) int32 {
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxLock})))(tls, inner(p), eLock)
}

func fileUnlock(tls *libc.TLS, p uintptr, eLock int32) int32 {
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxUnlock})))(tls, inner(p), eLock)
}

func fileCheckReservedLock(tls *libc.TLS, p, pResOut uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxCheckReservedLock})))(tls, inner(p), pResOut)
}

func fileSectorSize(tls *libc.TLS, p uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxSectorSize})))(tls, inner(p))
}

func fileDeviceCharacteristics(tls *libc.TLS, p uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxDeviceCharacteristics})))(tls, inner(p))
}

func fileShmMap(tls *libc.TLS, p uintptr, iPg, pgsz, bExtend int32, pp uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr, int32, int32, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxShmMap})))(tls, inner(p), iPg, pgsz, bExtend, pp)
}

func fileShmLock(tls *libc.TLS, p uintptr, offset, n, flags int32) int32 {
	return (*(*func(*libc.TLS, uintptr, int32, int32, int32) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxShmLock})))(tls, inner(p), offset, n, flags)
}

// fileShmBarrier is the safety net: SQLite calls it between the two copies
// of the wal-index header it writes at a commit, before readers can see the
// new frames, so any log of this database that still holds bytes writes
// them first. The commit frame's write has normally done so already.
func fileShmBarrier(tls *libc.TLS, p uintptr) {
	if pendingLogs.Load() > 0 {
		flushDatabase(tls, p)
	}
	(*(*func(*libc.TLS, uintptr))(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxShmBarrier})))(tls, inner(p))
}

func fileShmUnmap(tls *libc.TLS, p uintptr, deleteFlag int32) int32 {
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxShmUnmap})))(tls, inner(p), deleteFlag)
}

func fileFetch(tls *libc.TLS, p uintptr, iOfst int64, iAmt int32, pp uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr, int64, int32, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxFetch})))(tls, inner(p), iOfst, iAmt, pp)
}

func fileUnfetch(tls *libc.TLS, p uintptr, iOfst int64, ptr uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr, int64, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{innerMethods(p).FxUnfetch})))(tls, inner(p), iOfst, ptr)
}
