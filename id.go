package herald

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// Prefixes of the ids Herald makes, so an id says what it names (as Stripe's
// and Svix's do) and one pasted in the wrong place is caught at once.
const (
	IDPrefixEvent    = "evt_"
	IDPrefixDelivery = "dlv_"
	IDPrefixEndpoint = "ep_"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so ids survive
// being read aloud or copied by hand.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns prefix followed by 26 characters: a 48-bit millisecond
// timestamp and 80 random bits (the ULID layout). Ids made later sort later,
// which keeps B-tree inserts at the right edge and makes ids usable as
// pagination cursors.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+).

	out := make([]byte, len(prefix)+26)
	copy(out, prefix)
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	// 128 bits as 26 base32 digits: the first digit holds the top 3 bits.
	for i := 25; i >= 0; i-- {
		out[len(prefix)+i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out)
}
