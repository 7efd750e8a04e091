package sqlite

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// MigrationVersions lists, in order, the versions of the migrations this
// build carries: the schema it writes. `herald restore` refuses a backup
// recording a version not in the list, since it was written by a newer
// Herald.
func MigrationVersions() ([]int, error) {
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migration versions: %w", err)
	}
	vs := make([]int, 0, len(names))
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(n), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration versions: migration %s has no numeric prefix", path.Base(n))
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs, nil
}
