// Errors as values: an errno plus a chain of context, carried across
// function, fork and socket boundaries (no exceptions leave the library).
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace xc {

class Error {
public:
    Error() = default;
    Error(int errnum, std::string what) : errno_(errnum), what_(std::move(what)) {}

    // "<what>: <strerror(errno)>" with the errno captured now.
    static Error sys(std::string what) { return Error(errno, std::move(what)); }
    static Error sys(int errnum, std::string what) { return Error(errnum, std::move(what)); }
    // A failure with no system cause (bad input, refused operation).
    static Error msg(std::string what, int errnum = 0) { return Error(errnum, std::move(what)) .noReason(); }

    int code() const { return errno_; }
    // Text without the errno reason.
    const std::string& what() const { return what_; }
    // Full text: "context: what: reason" (without the hint).
    std::string message() const;

    // Where to read more ("see log /var/log/xc/c1.log"), or "": shown by
    // tools after the message ("...: reason; see log ..."). Context added
    // with wrap() keeps it; it travels with serialize().
    const std::string& hint() const { return hint_; }
    Error withHint(std::string hint) const& {
        Error e = *this;
        e.hint_ = std::move(hint);
        return e;
    }
    Error withHint(std::string hint) && {
        hint_ = std::move(hint);
        return std::move(*this);
    }
    // message() plus "; <hint>" when there is one.
    std::string messageWithHint() const { return hint_.empty() ? message() : message() + "; " + hint_; }

    // Prefix context: Error::sys("mount /proc").wrap("set up rootfs").
    Error wrap(const std::string& context) const&;
    Error wrap(const std::string& context) &&;

    // Wire form for the sync and command sockets.
    std::string serialize() const;
    static Error deserialize(const std::string& wire);

private:
    Error noReason() && { showReason_ = false; return std::move(*this); }
    int errno_ = 0;
    bool showReason_ = true;
    std::string what_;
    std::string hint_;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error err) : v_(std::move(err)) {}

    explicit operator bool() const { return v_.index() == 0; }
    bool ok() const { return v_.index() == 0; }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

    // Adds context to an error; a value passes through.
    Result ctx(const std::string& context) && {
        if (!ok()) return std::get<1>(std::move(v_)).wrap(context);
        return std::move(*this);
    }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error err) : err_(std::move(err)), failed_(true) {}

    explicit operator bool() const { return !failed_; }
    bool ok() const { return !failed_; }
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

    Result ctx(const std::string& context) && {
        if (failed_) return std::move(err_).wrap(context);
        return {};
    }

private:
    Error err_;
    bool failed_ = false;
};

using Status = Result<void>;

inline Status okStatus() { return {}; }

}  // namespace xc

// Return the error of a Result-valued expression, optionally with context.
#define XC_TRY(expr)                                 \
    do {                                             \
        auto xc_try_r_ = (expr);                     \
        if (!xc_try_r_) return std::move(xc_try_r_).error(); \
    } while (0)

#define XC_TRY_CTX(expr, ctx)                                  \
    do {                                                       \
        auto xc_try_r_ = (expr);                               \
        if (!xc_try_r_) return std::move(xc_try_r_).error().wrap(ctx); \
    } while (0)

#define XC_CONCAT_INNER_(a, b) a##b
#define XC_CONCAT_(a, b) XC_CONCAT_INNER_(a, b)
// XC_ASSIGN(auto fd, openSomething()); declares fd from the value or returns the error.
#define XC_ASSIGN(decl, expr) XC_ASSIGN_IMPL_(XC_CONCAT_(xc_r_, __LINE__), decl, expr)
#define XC_ASSIGN_IMPL_(tmp, decl, expr)          \
    auto tmp = (expr);                            \
    if (!tmp) return std::move(tmp).error();      \
    decl = std::move(tmp).value()
