// WebP metadata with libwebpmux: the encoder's simple file (VP8 or VP8L)
// becomes an extended one (VP8X) with ICCP, EXIF and XMP chunks, copied
// around the unchanged bitstream.
#include <webp/mux.h>

#include <memory>

#include "codec/encoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

struct MuxDelete {
  void operator()(WebPMux* mux) const { WebPMuxDelete(mux); }
};

WebPData view(const std::vector<std::uint8_t>& bytes) {
  return {bytes.data(), bytes.size()};
}

}  // namespace

std::vector<std::uint8_t> add_webp_metadata(std::vector<std::uint8_t> webp,
                                            const EncodeOptions& settings) {
  if (settings.icc.empty() && settings.exif.empty() && settings.xmp.empty()) return webp;
  const WebPData image = view(webp);
  const std::unique_ptr<WebPMux, MuxDelete> mux(WebPMuxCreate(&image, 0));
  if (!mux) throw Error(ErrorCode::encode_error, "webp: cannot add metadata (libwebpmux)");
  const struct {
    const char* fourcc;
    const std::vector<std::uint8_t>& data;
  } chunks[] = {{"ICCP", settings.icc}, {"EXIF", settings.exif}, {"XMP ", settings.xmp}};
  for (const auto& chunk : chunks) {
    if (chunk.data.empty()) continue;
    const WebPData data = view(chunk.data);
    if (WebPMuxSetChunk(mux.get(), chunk.fourcc, &data, 0) != WEBP_MUX_OK) {
      throw Error(ErrorCode::encode_error,
                  std::string("webp: cannot add the ") + chunk.fourcc + " chunk");
    }
  }
  WebPData assembled;
  WebPDataInit(&assembled);
  if (WebPMuxAssemble(mux.get(), &assembled) != WEBP_MUX_OK) {
    WebPDataClear(&assembled);
    throw Error(ErrorCode::encode_error, "webp: cannot add metadata (libwebpmux)");
  }
  std::vector<std::uint8_t> out(assembled.bytes, assembled.bytes + assembled.size);
  WebPDataClear(&assembled);
  return out;
}

}  // namespace imgflow::detail
