package load

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// encodeHist is h in HdrHistogram's V2 compressed encoding, base64-encoded
// once more for JSON.
func encodeHist(h *hdr.Histogram) (string, error) {
	if h == nil {
		return "", nil
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// HdrHistogram's V2 encoding: an 8-byte envelope (cookie, length of the
// zlib stream), then in the stream a 40-byte header and the counts, each a
// ZigZag LEB128 of at most 9 bytes.
const (
	histEnvelope         = 8
	histHeader           = 40
	histCompressedCookie = 0x1c849304
	histCookie           = 0x1c849303
	histMaxEncoded       = 16 << 20
)

// decodeHist decodes a histogram that encodeHist wrote, of the shape that
// shape makes. The input comes from a file (a baseline, a shard's
// manifest) and hdr.Decode trusts it: a short buffer or a negative length
// panics, a header claiming a vast range allocates it, a zlib bomb
// inflates without bound, a count past the end panics. So the envelope,
// the size of the inflated stream and the header are checked here first,
// and a panic left in the library is turned into an error.
func decodeHist(s string, shape func() *hdr.Histogram) (h *hdr.Histogram, err error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > histMaxEncoded {
		return nil, fmt.Errorf("%d bytes: larger than any histogram acsharness writes", len(s))
	}
	enc, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(string(enc))
	if err != nil {
		return nil, fmt.Errorf("not an HdrHistogram encoding: %w", err)
	}
	if len(raw) < histEnvelope {
		return nil, errors.New("not an HdrHistogram encoding: too short")
	}
	if c := binary.BigEndian.Uint32(raw) &^ 0xf0; c != histCompressedCookie {
		return nil, fmt.Errorf("not an HdrHistogram V2 compressed encoding (cookie %#x)", c)
	}
	n := int64(int32(binary.BigEndian.Uint32(raw[4:])))
	if n < 0 || n > int64(len(raw)-histEnvelope) {
		return nil, fmt.Errorf("compressed length %d outside the %d bytes given", n, len(raw)-histEnvelope)
	}
	want := shape()
	limit := int64(histHeader) + 9*int64(countsLen(want))
	z, err := zlib.NewReader(bytes.NewReader(raw[histEnvelope : histEnvelope+n]))
	if err != nil {
		return nil, fmt.Errorf("not an HdrHistogram encoding: %w", err)
	}
	defer z.Close()
	body, err := io.ReadAll(io.LimitReader(z, limit+1))
	if err != nil {
		return nil, fmt.Errorf("not an HdrHistogram encoding: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, errors.New("inflates beyond any histogram of its shape")
	}
	if len(body) < histHeader {
		return nil, errors.New("not an HdrHistogram encoding: header too short")
	}
	if c := binary.BigEndian.Uint32(body) &^ 0xf0; c != histCookie {
		return nil, fmt.Errorf("not an HdrHistogram V2 encoding (cookie %#x)", c)
	}
	digits := int64(int32(binary.BigEndian.Uint32(body[12:])))
	low, high := int64(binary.BigEndian.Uint64(body[16:])), int64(binary.BigEndian.Uint64(body[24:]))
	if low != want.LowestTrackableValue() || high != want.HighestTrackableValue() || digits != want.SignificantFigures() {
		return nil, fmt.Errorf("a histogram of %d to %d with %d significant digits, where acsharness writes %d to %d with %d",
			low, high, digits, want.LowestTrackableValue(), want.HighestTrackableValue(), want.SignificantFigures())
	}
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("malformed HdrHistogram counts: %v", r)
		}
	}()
	return hdr.Decode(enc)
}

// countsLen is the number of counts a histogram of h's shape holds.
func countsLen(h *hdr.Histogram) int {
	return len(h.Export().Counts)
}
