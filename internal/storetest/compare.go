package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// diff returns the differences between got and want, one line per leaf
// ("Auth.SigningSecrets[1].ExpiresAt: got ..., want ..."), or "" if they
// are equal. It is reflect.DeepEqual with three allowances every backend
// needs: times compare with Equal (any location, no monotonic reading),
// nil and empty slices and maps are equal, and strings print as their
// underlying value (so a herald.Secret shows, not "REDACTED", in a failing
// test).
func diff(got, want any) string {
	var out []string
	diffValue(&out, "", reflect.ValueOf(got), reflect.ValueOf(want))
	return strings.Join(out, "\n")
}

func diffValue(out *[]string, path string, g, w reflect.Value) {
	if !g.IsValid() || !w.IsValid() {
		if g.IsValid() != w.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", name(path), show(g), show(w)))
		}
		return
	}
	if g.Type() != w.Type() {
		*out = append(*out, fmt.Sprintf("%s: got type %s, want %s", name(path), g.Type(), w.Type()))
		return
	}
	if g.Type() == timeType {
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
		if !gt.Equal(wt) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", name(path), gt.Format(time.RFC3339Nano), wt.Format(time.RFC3339Nano)))
		}
		return
	}
	switch g.Kind() {
	case reflect.Pointer, reflect.Interface:
		if g.IsNil() || w.IsNil() {
			if g.IsNil() != w.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got %s, want %s", name(path), show(g), show(w)))
			}
			return
		}
		diffValue(out, path, g.Elem(), w.Elem())
	case reflect.Struct:
		for i := range g.NumField() {
			f := g.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			diffValue(out, path+"."+f.Name, g.Field(i), w.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if g.Len() != w.Len() {
			*out = append(*out, fmt.Sprintf("%s: got %d elements %s, want %d %s", name(path), g.Len(), show(g), w.Len(), show(w)))
			return
		}
		if g.Type().Elem().Kind() == reflect.Uint8 {
			if string(g.Bytes()) != string(w.Bytes()) {
				*out = append(*out, fmt.Sprintf("%s: bytes differ: got %x, want %x", name(path), g.Bytes(), w.Bytes()))
			}
			return
		}
		for i := range g.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i))
		}
	case reflect.Map:
		if g.Len() != w.Len() {
			*out = append(*out, fmt.Sprintf("%s: got %d entries %s, want %d %s", name(path), g.Len(), show(g), w.Len(), show(w)))
			return
		}
		for _, k := range w.MapKeys() {
			diffValue(out, fmt.Sprintf("%s[%s]", path, show(k)), g.MapIndex(k), w.MapIndex(k))
		}
	default:
		if !g.Equal(w) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", name(path), show(g), show(w)))
		}
	}
}

func name(path string) string {
	if path == "" {
		return "value"
	}
	return strings.TrimPrefix(path, ".")
}

// show prints a value, strings by their underlying value (see diff).
func show(v reflect.Value) string {
	if !v.IsValid() {
		return "<missing>"
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return "nil"
		}
	}
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Map || v.Kind() == reflect.Array {
		parts := []string{}
		if v.Kind() == reflect.Map {
			for _, k := range v.MapKeys() {
				parts = append(parts, show(k)+": "+show(v.MapIndex(k)))
			}
		} else {
			for i := range v.Len() {
				parts = append(parts, show(v.Index(i)))
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if v.CanInterface() {
		return fmt.Sprintf("%v", v.Interface())
	}
	return v.String()
}
