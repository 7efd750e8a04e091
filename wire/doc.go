// Package wire is the Integration Events contract as bytes on the wire: event
// types and bodies, the iCIMS Link header, gzip, the auth schemes (Basic,
// x-icims-v1 HMAC, Bearer, Standard Webhooks) and the Error Reporting body.
//
// Herald's sender and the partner receiver package both use it, so the two
// agree byte for byte. It imports the standard library only: partners import
// it, and it must not pull anything into their builds.
package wire
