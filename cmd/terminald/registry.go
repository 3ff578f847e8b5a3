package main

import (
	"log/slog"
	"net/http"

	"github.com/terminald/terminald/config"
	"github.com/terminald/terminald/driver"
	"github.com/terminald/terminald/flow"
	"github.com/terminald/terminald/providers/accrue"
	"github.com/terminald/terminald/providers/acountpay"
	"github.com/terminald/terminald/providers/cryptogw"
)

// providerKinds is the one table of payment providers: each one's name (its TOML
// section and its providers.enabled entry), its section (the package's own Config,
// with the package's defaults) and how a provider and its webhook receiver are built
// from that section. Adding a provider touches its package and this table.
var providerKinds = []providerKind{
	kind("acountpay", acountpay.DefaultConfig, func(c acountpay.Config, env providerEnv) (driver.Provider, hookMaker, error) {
		c.HTTPClient = env.hc
		p, err := acountpay.New(c, env.log)
		if err != nil || c.WebhookSecret == "" {
			return p, nil, err
		}
		return p, func(hint func(string)) (http.Handler, error) {
			return p.WebhookHandler(func(ref, id string) { hint(ref); hint(id) })
		}, nil
	}),
	kind("accrue", accrue.DefaultConfig, func(c accrue.Config, env providerEnv) (driver.Provider, hookMaker, error) {
		c.HTTPClient = env.hc
		p, err := accrue.New(c, env.log)
		if err != nil || c.WebhookSecret == "" {
			return p, nil, err
		}
		return p, func(hint func(string)) (http.Handler, error) { return p.WebhookHandler(hint), nil }, nil
	}),
	kind("cryptogw", cryptogw.DefaultConfig, func(c cryptogw.Config, env providerEnv) (driver.Provider, hookMaker, error) {
		c.HTTPClient = env.hc
		p, err := cryptogw.New(c, env.log)
		return p, func(hint func(string)) (http.Handler, error) { return cryptogw.NewWebhookHandler(hint, env.log), nil }, err
	}),
}

// providerEnv is what every provider is built with.
type providerEnv struct {
	hc  *http.Client
	log *slog.Logger
}

// hookMaker makes a provider's webhook receiver once the engine (its hint) exists.
type hookMaker func(hint func(string)) (http.Handler, error)

// providerKind is one row of providerKinds.
type providerKind struct {
	name    string
	section func() config.Section
	build   func(config.Section, providerEnv) (driver.Provider, hookMaker, error)
}

// kind makes a providerKind from a package's Config type C, its defaults and its
// constructor; the section handed to config is a *C.
func kind[C any, PC interface {
	*C
	config.Section
}](name string, defaults func() C, build func(C, providerEnv) (driver.Provider, hookMaker, error)) providerKind {
	return providerKind{
		name:    name,
		section: func() config.Section { c := defaults(); return PC(&c) },
		build: func(s config.Section, env providerEnv) (driver.Provider, hookMaker, error) {
			return build(*s.(PC), env)
		},
	}
}

// configOptions is the schema of terminald.toml: the daemon's own sections (in package
// config) and the providers of providerKinds; credentials is the directory of systemd
// credentials ("" for config's default).
func configOptions(credentials string) config.Options {
	o := config.Options{Credentials: credentials}
	for _, k := range providerKinds {
		o.Providers = append(o.Providers, config.ProviderSection{Name: k.name, New: k.section})
	}
	return o
}

// buildProviders makes the enabled providers' clients and their webhook receivers.
func buildProviders(cfg *config.Config, hc *http.Client, log *slog.Logger) ([]driver.Provider, func(*flow.Engine) map[string]http.Handler, error) {
	var out []driver.Provider
	hookMakers := map[string]hookMaker{}
	env := providerEnv{hc: hc, log: log}
	for _, name := range cfg.Providers.Enabled {
		for _, k := range providerKinds {
			if k.name != name {
				continue
			}
			// A provider package's errors name the package ("cryptogw: …"): wrapping
			// them again would say it twice.
			p, hook, err := k.build(cfg.Provider[name], env)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, p)
			if hook != nil {
				hookMakers[name] = hook
			}
		}
	}
	hooks := func(eng *flow.Engine) map[string]http.Handler {
		m := map[string]http.Handler{}
		for name, mk := range hookMakers {
			h, err := mk(eng.Hint)
			if err != nil {
				log.Error("webhook receiver", "provider", name, "err", err)
				continue
			}
			m[name] = h
		}
		return m
	}
	return out, hooks, nil
}
