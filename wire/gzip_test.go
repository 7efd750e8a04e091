package wire

import (
	"bytes"
	"compress/gzip"
	"errors"
	"sync"
	"testing"
)

func TestGzipRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range [][]byte{nil, []byte(specAssessmentBody), bytes.Repeat([]byte("a"), 1<<20)} {
		z := Gzip(in)
		if !IsGzip(z) {
			t.Fatal("IsGzip(Gzip(x)) = false")
		}
		out, err := Gunzip(z, int64(len(in)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip changed %d bytes", len(in))
		}
	}
}

func TestGzipConcurrent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			in := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
			for range 50 {
				out, err := Gunzip(Gzip(in), 1<<20)
				if err != nil || !bytes.Equal(out, in) {
					t.Errorf("round trip failed: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestGunzipLimit(t *testing.T) {
	t.Parallel()
	bomb := Gzip(make([]byte, 10<<20)) // 10 MiB of zeros, ~10 KiB gzip'd
	if _, err := Gunzip(bomb, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := Gunzip(Gzip([]byte("x")), 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit 0: err = %v, want ErrTooLarge", err)
	}
	out, err := Gunzip(Gzip([]byte("abc")), 3)
	if err != nil || string(out) != "abc" {
		t.Fatalf("exact limit: %q, %v", out, err)
	}
}

func TestGunzipBad(t *testing.T) {
	t.Parallel()
	z := Gzip([]byte(specAssessmentBody))
	for name, in := range map[string][]byte{
		"not gzip":      []byte(`{"a":1}`),
		"truncated":     z[:len(z)-5],
		"empty":         nil,
		"garbage after": append(append([]byte{}, z...), 0x1f, 0x8b, 1, 2),
	} {
		if _, err := Gunzip(in, 1<<20); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

func TestGunzipMultistream(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	for _, s := range []string{"ab", "cd"} {
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(s))
		zw.Close()
	}
	out, err := Gunzip(buf.Bytes(), 10)
	if err != nil || string(out) != "abcd" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestIsGzip(t *testing.T) {
	t.Parallel()
	if IsGzip(nil) || IsGzip([]byte{0x1f}) || IsGzip([]byte("{}")) || !IsGzip([]byte{0x1f, 0x8b}) {
		t.Fatal("IsGzip wrong")
	}
}

func BenchmarkGzip(b *testing.B) {
	body := []byte(specAssessmentBody)
	b.ReportAllocs()
	for b.Loop() {
		Gzip(body)
	}
}
