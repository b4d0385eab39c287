package objstore

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		want    Options
		wantErr string
	}{
		{url: "s3://minio:9000/shop/images?region=cn-east-1", want: Options{Endpoint: "minio:9000", Secure: true, Bucket: "shop", Prefix: "images", Region: "cn-east-1", AccessKey: "ak", SecretKey: "sk"}},
		{url: "s3+http://127.0.0.1:9000/rec", want: Options{Endpoint: "127.0.0.1:9000", Bucket: "rec", AccessKey: "ak", SecretKey: "sk"}},
		{url: "s3://host/b/deep/prefix/", want: Options{Endpoint: "host", Secure: true, Bucket: "b", Prefix: "deep/prefix", AccessKey: "ak", SecretKey: "sk"}},
		{url: "s3://key:secret@host/b", wantErr: "not in the URL"},
		{url: "https://host/b", wantErr: "must be s3://"},
		{url: "s3://host/", wantErr: "must name a host and a bucket"},
		{url: "s3:///b", wantErr: "must name a host and a bucket"},
		{url: "s3://ho st/%zz", wantErr: "store URL"},
	} {
		got, err := ParseURL(tc.url, "ak", "sk")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseURL(%q) error = %v, want one saying %q", tc.url, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
}

// FuzzParseURL: any text is refused or gives a host, a bucket and keys
// that never came from the URL.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://h/b/p?region=r", "s3+http://u:p@h/b", "", "s3://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := ParseURL(raw, "ak", "sk")
		if err != nil {
			return
		}
		if o.Endpoint == "" || o.Bucket == "" || o.AccessKey != "ak" || o.SecretKey != "sk" {
			t.Fatalf("ParseURL(%q) = %+v", raw, o)
		}
	})
}
