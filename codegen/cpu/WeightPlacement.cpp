//===- WeightPlacement.cpp - weights written into a linked library --------===//
//
// A model's weights are most of its artifact. Going through LLVM they would
// be copied three times (an LLVM constant, the object writer's fragments, the
// object buffer) and then twice more by the linker (input and output
// mappings): gigabytes for a large model. Instead the weights are compiled as
// zero-filled globals, which the linker lays out in .bss at no cost, and
// their bytes are written into the linked file here, straight from the
// compiler's weight blobs: the zero-filled tail of the last loadable segment
// becomes file-backed data, and the non-loaded sections after it (symbol
// table, section headers) move behind the weights. The loader then maps the
// weights from the file like any other data.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/WeightPlacement.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Object/ELF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lepton::cpu {
namespace {

bool writeAt(int fd, const void *data, size_t size, uint64_t offset) {
  const char *bytes = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes += n, size -= n, offset += n;
  }
  return true;
}

template <class ELFT>
bool place(int fd, llvm::StringRef image, llvm::ArrayRef<WeightBlob> weights,
           std::string &error) {
  using Shdr = typename ELFT::Shdr;
  using Phdr = typename ELFT::Phdr;
  auto fail = [&](const llvm::Twine &why) {
    error = ("cannot place the weights in the linked library: " + why).str();
    return false;
  };
  llvm::Expected<llvm::object::ELFFile<ELFT>> file = llvm::object::ELFFile<ELFT>::create(image);
  if (!file)
    return fail(llvm::toString(file.takeError()));
  typename ELFT::Ehdr header = file->getHeader();
  auto phdrRange = file->program_headers();
  auto shdrRange = file->sections();
  if (!phdrRange || !shdrRange)
    return fail("unreadable headers");
  std::vector<Phdr> phdrs(phdrRange->begin(), phdrRange->end());
  std::vector<Shdr> shdrs(shdrRange->begin(), shdrRange->end());

  // The segment loaded last, whose zero-filled tail holds .bss.
  Phdr *last = nullptr;
  for (Phdr &p : phdrs)
    if (p.p_type == llvm::ELF::PT_LOAD && (!last || p.p_vaddr > last->p_vaddr))
      last = &p;
  if (!last || last->p_memsz == last->p_filesz)
    return fail("no zero-filled segment");
  uint64_t filled = last->p_offset + last->p_filesz;
  uint64_t zeroStart = last->p_vaddr + last->p_filesz, end = last->p_vaddr + last->p_memsz;

  // Where each weight's symbol landed.
  llvm::StringMap<llvm::ArrayRef<char>> pending;
  for (const WeightBlob &w : weights)
    pending[w.name] = w.bytes;
  std::vector<std::pair<uint64_t, llvm::ArrayRef<char>>> writes;
  for (const Shdr &s : shdrs) {
    if (s.sh_type != llvm::ELF::SHT_SYMTAB)
      continue;
    auto symbols = file->symbols(&s);
    auto names = file->getStringTableForSymtab(s);
    if (!symbols || !names)
      return fail("unreadable symbol table");
    for (const auto &symbol : *symbols) {
      auto name = symbol.getName(*names);
      if (!name)
        continue;
      auto it = pending.find(*name);
      if (it == pending.end())
        continue;
      uint64_t address = symbol.st_value;
      if (address < zeroStart || address + it->second.size() > end)
        return fail("weight '" + *name + "' is not in the zero-filled segment");
      writes.push_back({last->p_offset + (address - last->p_vaddr), it->second});
      pending.erase(it);
    }
  }
  if (!pending.empty())
    return fail("no symbol for weight '" + pending.begin()->getKey() + "'");

  // Everything after the segment's file data (non-loaded sections, section
  // headers) moves behind the weights, by a multiple of its alignment.
  uint64_t shift = llvm::alignTo(last->p_memsz - last->p_filesz, 4096);
  llvm::StringRef tail = image.drop_front(filled);
  for (Shdr &s : shdrs) {
    bool allocated = s.sh_flags & llvm::ELF::SHF_ALLOC;
    if (allocated && s.sh_addr >= zeroStart && s.sh_addr < end) {
      if (s.sh_type != llvm::ELF::SHT_NOBITS)
        return fail("section data after the segment's file data");
      s.sh_type = llvm::ELF::SHT_PROGBITS;
      s.sh_offset = last->p_offset + (s.sh_addr - last->p_vaddr);
    } else if (s.sh_type != llvm::ELF::SHT_NOBITS && s.sh_offset >= filled) {
      if (allocated)
        return fail("loaded section after the last segment");
      s.sh_offset = s.sh_offset + shift;
    }
  }
  if (header.e_shoff >= filled)
    header.e_shoff = header.e_shoff + shift;
  last->p_filesz = last->p_memsz;

  std::vector<char> zeros(std::min<uint64_t>(tail.size(), shift), 0);
  if (!writeAt(fd, tail.data(), tail.size(), filled + shift) ||
      !writeAt(fd, zeros.data(), zeros.size(), filled))
    return fail(strerror(errno));
  for (auto [offset, bytes] : writes)
    if (!writeAt(fd, bytes.data(), bytes.size(), offset))
      return fail(strerror(errno));
  if (!writeAt(fd, phdrs.data(), phdrs.size() * sizeof(Phdr), header.e_phoff) ||
      !writeAt(fd, shdrs.data(), shdrs.size() * sizeof(Shdr), header.e_shoff) ||
      !writeAt(fd, &header, sizeof header, 0))
    return fail(strerror(errno));
  return true;
}

} // namespace

bool placeWeights(llvm::StringRef libraryPath, llvm::ArrayRef<WeightBlob> weights,
                  std::string &error) {
  if (weights.empty())
    return true;
  // Read, not mapped: the file changes under the copy while it is patched.
  auto buffer = llvm::MemoryBuffer::getFile(libraryPath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false,
                                            /*IsVolatile=*/true);
  if (!buffer) {
    error = "cannot read '" + libraryPath.str() + "': " + buffer.getError().message();
    return false;
  }
  llvm::StringRef image = (*buffer)->getBuffer();
  int fd = ::open(libraryPath.str().c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot write '" + libraryPath.str() + "': " + strerror(errno);
    return false;
  }
  auto [bits, order] = llvm::object::getElfArchType(image);
  bool ok;
  if (bits == llvm::ELF::ELFCLASS64 && order == llvm::ELF::ELFDATA2LSB)
    ok = place<llvm::object::ELF64LE>(fd, image, weights, error);
  else if (bits == llvm::ELF::ELFCLASS64 && order == llvm::ELF::ELFDATA2MSB)
    ok = place<llvm::object::ELF64BE>(fd, image, weights, error);
  else if (bits == llvm::ELF::ELFCLASS32 && order == llvm::ELF::ELFDATA2LSB)
    ok = place<llvm::object::ELF32LE>(fd, image, weights, error);
  else if (bits == llvm::ELF::ELFCLASS32 && order == llvm::ELF::ELFDATA2MSB)
    ok = place<llvm::object::ELF32BE>(fd, image, weights, error);
  else
    ok = (error = "cannot place the weights: the linked library is not ELF", false);
  if (::close(fd) != 0 && ok) {
    error = "cannot write '" + libraryPath.str() + "': " + strerror(errno);
    ok = false;
  }
  return ok;
}

} // namespace lepton::cpu
