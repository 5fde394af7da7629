package chat

import "github.com/jackc/pgx/v5/pgtype"

// The columns of a batch go to PostgreSQL as arrays (for unnest). pgx
// encodes a []string or [][]byte through an interface per element, which
// boxes every element on the heap: six text columns and the body made seven
// allocations per message stored, a third of the batch's. These types hand
// out pointers into the slice instead, which box for free.

// textArray is a []string sent as text[] (nil is NULL).
type textArray []string

func (a textArray) Dimensions() []pgtype.ArrayDimension {
	if a == nil {
		return nil
	}
	return []pgtype.ArrayDimension{{Length: int32(len(a)), LowerBound: 1}}
}

func (a textArray) Index(i int) any { return (*textElement)(&a[i]) }
func (a textArray) IndexType() any  { return new(textElement) }

type textElement string

func (t *textElement) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(*t), Valid: true}, nil
}

// byteaArray is a [][]byte sent as bytea[] (nil is NULL, as is a nil element).
type byteaArray [][]byte

func (a byteaArray) Dimensions() []pgtype.ArrayDimension {
	if a == nil {
		return nil
	}
	return []pgtype.ArrayDimension{{Length: int32(len(a)), LowerBound: 1}}
}

func (a byteaArray) Index(i int) any { return (*byteaElement)(&a[i]) }
func (a byteaArray) IndexType() any  { return new(byteaElement) }

type byteaElement []byte

func (b *byteaElement) BytesValue() ([]byte, error) { return *b, nil }
