// Uses both APIs: the single-image one (decode → resize → encode to bytes)
// and the batch one. Exits non-zero with a message if anything is off.
#include <cstdio>
#include <filesystem>
#include <imgflow/imgflow.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer PHOTO.jpg OUTDIR\n");
    return 2;
  }
  const std::filesystem::path photo = argv[1];
  const std::filesystem::path out = argv[2];

  const imgflow::Image image = imgflow::decode_file(photo);
  const cv::Mat thumb = imgflow::resize_to_fit(image.pixels, imgflow::parse_geometry("200x200"));
  const auto jpeg = imgflow::encode(thumb, {imgflow::Format::jpeg, 80});
  const imgflow::Image back = imgflow::decode(jpeg);
  if (std::max(back.pixels.cols, back.pixels.rows) != 200) {
    std::fprintf(stderr, "thumbnail is %dx%d, expected 200 on the long side\n", back.pixels.cols,
                 back.pixels.rows);
    return 1;
  }

  imgflow::Options options;
  options.inputs = {photo};
  options.output_dir = out;
  options.sizes = {imgflow::parse_geometry("64x64")};
  options.formats = {imgflow::OutputFormat::png};
  const imgflow::Report report = imgflow::run(options);
  if (report.summary.ok != 1 || report.files.at(0).outputs.size() != 1 ||
      !std::filesystem::exists(report.files[0].outputs[0].path)) {
    std::fprintf(stderr, "batch run failed: %s\n", imgflow::to_json(report).c_str());
    return 1;
  }
  std::printf("imgflow %s consumer ok: %s\n", imgflow::version,
              report.files[0].outputs[0].path.c_str());
  return 0;
}
