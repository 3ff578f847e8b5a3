package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// fill sets every settable field of v to a non-zero value derived from i, recursively:
// a field someone adds to Payment is covered without touching this test.
func fill(t *testing.T, v reflect.Value, i int) {
	t.Helper()
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.Date(2026, 11, 21, 10, i, 7, 123456789, time.FixedZone("", 3600))))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d", i))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(-1000 - i))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(1000 + i))
	case reflect.Struct:
		for j := range v.NumField() {
			if v.Type().Field(j).IsExported() {
				fill(t, v.Field(j), i*10+j)
			}
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, i)
		fill(t, e, i+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(t, s.Index(0), i)
		fill(t, s.Index(1), i+1)
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), i)
		v.Set(p)
	default:
		t.Fatalf("fill: no value for kind %s: teach this test", v.Kind())
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Every field of Payment — also one added later — survives the compact record exactly as
// it survives JSON; Seq is not part of the record.
func TestRecordKeepsEveryField(t *testing.T) {
	var p Payment
	fill(t, reflect.ValueOf(&p).Elem(), 1)
	data, err := encodePayment(&p)
	if err != nil {
		t.Fatal(err)
	}
	var got Payment
	if err := decodePayment(data, &got); err != nil {
		t.Fatal(err)
	}
	want := p
	want.Seq = 0
	if a, b := jsonOf(t, got), jsonOf(t, want); a != b {
		t.Fatalf("round trip lost something:\n got %s\nwant %s", a, b)
	}
	// An old JSON record reads the same.
	var fromJSON Payment
	if err := decodePayment([]byte(jsonOf(t, want)), &fromJSON); err != nil || jsonOf(t, fromJSON) != jsonOf(t, want) {
		t.Fatalf("JSON record: %v", err)
	}
	if js := jsonOf(t, want); len(data) >= len(js)/2 {
		t.Errorf("record %d bytes, JSON %d: want less than half", len(data), len(js))
	}
}

type control struct {
	Kind  string   `json:"kind"`
	Steps []string `json:"steps"`
}

// newer is a Payment as a later terminald might have it: fields without a code, of kinds
// the codec has no wire form for.
type newer struct {
	ID      string            `json:"id"`
	Control *control          `json:"control,omitempty"`
	Limits  []int64           `json:"limits,omitempty"`
	Tagged  map[string]string `json:"tagged,omitempty"`
	Plain   int
	Hidden  string `json:"-"`
}

type older struct {
	ID string `json:"id"`
}

func TestRecordFieldsAddedLater(t *testing.T) {
	n := newer{ID: "x", Control: &control{"hold", []string{"a", "b"}}, Limits: []int64{-1, 2}, Tagged: map[string]string{"k": "v"}, Plain: -7, Hidden: "no"}
	data, err := appendStruct([]byte{recordV1}, reflect.ValueOf(n))
	if err != nil {
		t.Fatal(err)
	}
	var back newer
	if err := readStruct(data[1:], reflect.ValueOf(&back).Elem()); err != nil {
		t.Fatal(err)
	}
	n.Hidden = ""
	if !reflect.DeepEqual(back, n) {
		t.Fatalf("round trip = %+v, want %+v", back, n)
	}
	// A reader without those fields skips them.
	var o older
	if err := readStruct(data[1:], reflect.ValueOf(&o).Elem()); err != nil || o.ID != "x" {
		t.Fatalf("older reader = %+v, %v", o, err)
	}
}

// A damaged record is an error, never a panic.
func FuzzDecodePayment(f *testing.F) {
	p := pay("T1-000001-abcdef", StatePaid, t0)
	p.Data = map[string]string{"k": "v"}
	data, _ := encodePayment(p)
	f.Add(data)
	js, _ := json.Marshal(p)
	f.Add(js)
	f.Add([]byte{recordV1, 0x03, 0x05})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Payment
		if decodePayment(data, &p) != nil {
			return
		}
		again, err := encodePayment(&p)
		if err != nil {
			t.Fatal(err)
		}
		var q Payment
		if err := decodePayment(again, &q); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !bytes.Equal(must(encodePayment(&q)), again) {
			t.Fatal("encoding is not stable")
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
