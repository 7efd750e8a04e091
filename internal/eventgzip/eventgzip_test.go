package eventgzip

import (
	"bytes"
	"compress/gzip"
	"io"
	"sync"
	"testing"

	"github.com/heraldhq/herald/wire"
)

// specBody is a WorkFlowStatusChangeEvent body of the spec's shape, the
// kind Compress sees on every publish.
const specBody = `{"customerId":"1234","eventType":"WorkFlowStatusChangeEvent","systemId":"98765","userId":"1001","newStatus":"D10010","oldStatus":"D10001","links":[{"rel":"workflow","title":"Applicant Workflow","url":"https://api.icims.com/customers/1234/applicantworkflows/98765"},{"rel":"job","title":"Job Profile","url":"https://api.icims.com/customers/1234/jobs/4321"},{"rel":"person","title":"Person Profile","url":"https://api.icims.com/customers/1234/people/5678"},{"rel":"user","title":"Recruiter","url":"https://api.icims.com/customers/1234/people/1001"}]}`

// What Compress writes is read by the standard library's reader, the one
// partners and wire.Gunzip use.
func TestCompressRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range [][]byte{nil, []byte(specBody), bytes.Repeat([]byte("a"), 1<<20)} {
		z := Compress(in)
		if !wire.IsGzip(z) {
			t.Fatal("not gzip")
		}
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip changed %d bytes", len(in))
		}
		if out, err := wire.Gunzip(z, int64(len(in))); err != nil || !bytes.Equal(out, in) {
			t.Fatalf("wire.Gunzip: %v", err)
		}
	}
}

func TestCompressConcurrent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			in := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
			for range 50 {
				out, err := wire.Gunzip(Compress(in), 1<<20)
				if err != nil || !bytes.Equal(out, in) {
					t.Errorf("round trip failed: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkCompress compresses a spec body with Compress and, as the
// baseline, with wire.Gzip (compress/gzip at the same level, pooled the
// same way); compare their ns/op, and the sizes in the bytes metric.
func BenchmarkCompress(b *testing.B) {
	body := []byte(specBody)
	for _, bc := range []struct {
		name string
		fn   func([]byte) []byte
	}{{"stdlib", wire.Gzip}, {"eventgzip", Compress}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				out = bc.fn(body)
			}
			b.ReportMetric(float64(len(out)), "bytes")
		})
	}
}
