package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// benchCert is the bench receiver's self-signed certificate for
// 127.0.0.1 (--tls), and a PEM file of it that the nodes trust through
// SSL_CERT_FILE, Go's override of the system's roots, so Herald delivers
// to it as to any partner with a publicly trusted certificate.
type benchCert struct {
	cert   tls.Certificate
	roots  *x509.CertPool
	pemDir string // holds roots.pem
}

func newBenchCert() (*benchCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("bench certificate: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "herald bench receiver"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("bench certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("bench certificate: %w", err)
	}
	dir, err := os.MkdirTemp("", "herald-bench-tls-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(dir+"/roots.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return &benchCert{
		cert:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		roots:  roots,
		pemDir: dir,
	}, nil
}

// rootsFile is the PEM file for the nodes' SSL_CERT_FILE.
func (bc *benchCert) rootsFile() string { return bc.pemDir + "/roots.pem" }

func (bc *benchCert) remove() { _ = os.RemoveAll(bc.pemDir) }
