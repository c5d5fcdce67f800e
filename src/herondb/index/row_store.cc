// RowStore<T>; see row_store.h for the contract.
#include "herondb/index/row_store.h"

#include "herondb/common/error.h"

namespace herondb {

template <class T>
RowStore<T>::RowStore(size_t dim, std::unique_ptr<RowBacking> backing)
    : dim_(dim), backing_(backing ? std::move(backing) : std::make_unique<HeapRowBacking>()) {
  rows_ = row_bytes() ? backing_->size() / row_bytes() : 0;
  data_ = reinterpret_cast<T*>(backing_->data());
}

template <class T>
void RowStore<T>::ReplaceBacking(std::unique_ptr<RowBacking> backing) {
  if (!backing || backing->size() < bytes())
    throw Error(ErrorCode::kInvalidArgument, "replacement vector backing is too small");
  backing_ = std::move(backing);
  data_ = reinterpret_cast<T*>(backing_->data());
  if (random_access_) backing_->SetAccessHint(true);
}

template <class T>
void RowStore<T>::SetRandomAccess(bool random) {
  random_access_ = random;
  backing_->SetAccessHint(random);
}

template <class T>
void RowStore<T>::Reserve(size_t rows) {
  backing_->EnsureSize(rows * row_bytes());
  data_ = reinterpret_cast<T*>(backing_->data());
}

template <class T>
void RowStore<T>::Resize(size_t rows) {
  if (rows > rows_) Reserve(rows);
  rows_ = rows;
}

template class RowStore<float>;
template class RowStore<uint8_t>;

}  // namespace herondb
