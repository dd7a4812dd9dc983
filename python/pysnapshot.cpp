// Container snapshots for Python, as python3-lxc names them.
#include "pyxc.hpp"

namespace xcpy {

bool PyContainer::destroyWithSnapshots() {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->destroy(false, context_->log(), true);
    }
    editor_.reset();
    return st ? succeed() : fail(st.error());
}

py::object PyContainer::snapshot(const std::optional<std::string>& comment) {
    xc::Result<std::string> r = xc::Error();
    {
        py::gil_scoped_release nogil;
        r = container_->snapshot(comment.value_or(""), context_->log());
    }
    if (!r) return py::bool_(fail(r.error()));
    succeed();
    return py::str(*r);
}

py::object PyContainer::snapshotList() {
    xc::Result<std::vector<xc::SnapshotInfo>> r = xc::Error();
    {
        py::gil_scoped_release nogil;
        r = container_->snapshots();
    }
    if (!r) return py::bool_(fail(r.error()));
    succeed();
    py::tuple out(r->size());
    for (size_t i = 0; i < r->size(); ++i) {
        const auto& s = (*r)[i];
        out[i] = py::make_tuple(s.name, s.comment, s.time, s.sizeBytes);
    }
    return out;
}

bool PyContainer::snapshotRestore(const std::string& name, const std::optional<std::string>& newname) {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->restoreSnapshot(name, newname.value_or(""), context_->log());
    }
    return st ? succeed() : fail(st.error());
}

bool PyContainer::snapshotDestroy(const std::string& name) {
    xc::Status st;
    {
        py::gil_scoped_release nogil;
        st = container_->destroySnapshot(name, context_->log());
    }
    return st ? succeed() : fail(st.error());
}

}  // namespace xcpy
