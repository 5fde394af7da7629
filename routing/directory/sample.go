package directory

import (
	"bytes"
	"context"
	_ "embed"
)

// The sample directory is fictional, every name and description says so, in
// Spanish and English; it covers Spain, Madrid, Mexico, Mexico City, the
// United Kingdom and services for anywhere, and every audience. Demo mode
// loads it.
//
//go:embed sample/directory.json
var sampleJSON []byte

// SampleFile is the sample's name in problems and the audit log.
const SampleFile = "sample/directory.json"

// Sample returns the sample directory.
func Sample() (Set, error) {
	return ReadJSON(SampleFile, bytes.NewReader(sampleJSON))
}

// SampleJSON returns the sample as HSDS JSON, for an admin to try an import.
func SampleJSON() []byte { return bytes.Clone(sampleJSON) }

// LoadSample imports the sample into d as the system.
func LoadSample(ctx context.Context, d *Directory) error {
	set, err := Sample()
	if err != nil {
		return err
	}
	return d.Import(ctx, set, SampleFile, 0)
}
