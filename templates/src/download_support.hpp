// The download template's pieces around libxc's image module: the server
// URL, the transfer handle with its progress display, and signature checks
// with gpgv.
#pragma once

#include <string>

#include "image/download_cache.hpp"
#include "image/fetch.hpp"
#include "xc/result.hpp"

namespace xctmpl {

// "host[:port][/path]" -> "https://host[:port][/path]"; an http:// or
// https:// URL as given; without the trailing '/'.
xc::Result<std::string> serverBase(const std::string& server);

// A transfer handle for base (plain HTTP allowed only if base is http://),
// trusting caFile if given, showing progress on stdout: a bar with bytes,
// rate and ETA on a terminal, plain lines otherwise.
xc::Result<xc::image::Fetcher> makeFetcher(const std::string& caFile, const std::string& base);

// Checks a file's detached signature with `gpgv --keyring KEYRING SIG FILE`.
// gpgv rather than GPGME: it only verifies, against exactly the keyring
// given, with no agent, no home directory and no trust database to set up.
xc::Result<xc::image::DownloadCache::Verify> gpgvVerifier(const std::string& keyring);

}  // namespace xctmpl
