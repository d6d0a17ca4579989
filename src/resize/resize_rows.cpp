// resize() one decoded row at a time. Each output size has a Lane that takes
// the same steps as resample() in resize.cpp, in the same arithmetic, so the
// pixels are identical: Filter::automatic's box step (area-averaging by
// coverage as cv::resize's INTER_AREA does, or premultiplied for alpha), a
// window of the rows that gives, Lanczos-3 over the window, rounding, and at
// the end the crop and padding.
#include "resize/resize_rows.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "imgflow/error.hpp"
#include "resize/lanczos.hpp"
#include "resize/resample_steps.hpp"

namespace imgflow::detail {
namespace {

// One input pixel's (or row's) share of one output pixel (or row).
struct Share {
  int source;
  int target;
  float weight;
};

// Each output cell covers `scale` input pixels; pixels only partly inside
// count by the part inside (below 1/1000 of a pixel: not at all). In order of
// target, then source, so sources never go back.
std::vector<Share> area_shares(int in, int out) {
  const double scale = static_cast<double>(in) / out;
  std::vector<Share> shares;
  for (int d = 0; d < out; ++d) {
    const double from = d * scale, to = from + scale;
    const double cell = std::min(scale, in - from);
    int last = std::min(static_cast<int>(std::floor(to)), in - 1);
    const int first = std::min(static_cast<int>(std::ceil(from)), last);
    if (first - from > 1e-3) {
      shares.push_back({first - 1, d, static_cast<float>((first - from) / cell)});
    }
    for (int s = first; s < last; ++s) shares.push_back({s, d, static_cast<float>(1.0 / cell)});
    if (to - last > 1e-3) {
      shares.push_back(
          {last, d, static_cast<float>(std::min(std::min(to - last, 1.0), cell) / cell)});
    }
  }
  return shares;
}

// cv::resize(INTER_AREA) to `out` from rows of T: each input row summed
// across into float, then the rows summed down, weighted by their shares.
// When both factors are whole numbers OpenCV sums integers instead and
// rounds once; so does this, the same way.
template <typename T>
class AreaShrink {
 public:
  AreaShrink(cv::Size in, cv::Size out, int channels)
      : channels_(channels),
        out_width_(out.width),
        whole_(in.width % out.width == 0 && in.height % out.height == 0),
        across_(area_shares(in.width, out.width)),
        down_(area_shares(in.height, out.height)),
        kx_(in.width / out.width),
        ky_(in.height / out.height),
        row_(static_cast<std::size_t>(out.width) * channels),
        sum_(row_.size()),
        isum_(row_.size()),
        out_(row_.size()) {}

  // Adds the next input row; `emit(const T*)` gets each output row it completes.
  template <typename Emit>
  void add_row(const T* row, Emit&& emit) {
    if (whole_) return add_whole(row, emit);
    bool summed = false;
    for (; next_ < down_.size() && down_[next_].source == y_; ++next_) {
      if (!summed) sum_across(row);
      summed = true;
      const Share& share = down_[next_];
      if (share.target != target_) {
        if (target_ >= 0) emit_sum(emit);
        target_ = share.target;
        for (std::size_t i = 0; i < sum_.size(); ++i) sum_[i] = row_[i] * share.weight;
      } else {
        for (std::size_t i = 0; i < sum_.size(); ++i) sum_[i] += row_[i] * share.weight;
      }
    }
    ++y_;
    // The last share of this target: it is complete.
    if (target_ >= 0 && (next_ == down_.size() || down_[next_].target != target_)) {
      emit_sum(emit);
      target_ = -1;
    }
  }

 private:
  // Each output pixel's sum in registers, its shares in order: the same
  // float operations as OpenCV's running sum in memory, fewer loads and stores.
  void sum_across(const T* row) {
    switch (channels_) {
      case 1:
        return sum_across<1>(row);
      case 3:
        return sum_across<3>(row);
      default:
        return sum_across<4>(row);
    }
  }

  template <int C>
  void sum_across(const T* row) {
    const Share* share = across_.data();
    const Share* end = share + across_.size();
    for (int x = 0; x < out_width_; ++x) {
      float sum[C] = {};
      for (; share != end && share->target == x; ++share) {
        const T* p = row + static_cast<std::ptrdiff_t>(share->source) * C;
        for (int k = 0; k < C; ++k) sum[k] += p[k] * share->weight;
      }
      for (int k = 0; k < C; ++k) row_[static_cast<std::size_t>(x) * C + k] = sum[k];
    }
  }

  template <typename Emit>
  void emit_sum(Emit& emit) {
    for (std::size_t i = 0; i < sum_.size(); ++i) out_[i] = cv::saturate_cast<T>(sum_[i]);
    emit(out_.data());
  }

  template <typename Emit>
  void add_whole(const T* row, Emit& emit) {
    const int c = channels_;
    for (int x = 0; x < out_width_; ++x) {
      for (int k = 0; k < c; ++k) {
        int sum = 0;
        for (int dx = 0; dx < kx_; ++dx) sum += row[(x * kx_ + dx) * c + k];
        isum_[static_cast<std::size_t>(x * c + k)] += sum;
      }
    }
    if (++y_ % ky_ != 0) return;
    // OpenCV rounds 2x2 halves up (its SIMD path), other factors to even.
    const float scale = 1.0f / static_cast<float>(kx_ * ky_);
    const bool two_by_two = kx_ == 2 && ky_ == 2;
    for (std::size_t i = 0; i < isum_.size(); ++i) {
      out_[i] = two_by_two ? static_cast<T>((isum_[i] + 2) >> 2)
                           : cv::saturate_cast<T>(static_cast<float>(isum_[i]) * scale);
      isum_[i] = 0;
    }
    emit(out_.data());
  }

  int channels_, out_width_;
  bool whole_;
  std::vector<Share> across_, down_;
  int kx_, ky_;
  std::vector<float> row_, sum_;
  std::vector<int> isum_;
  std::vector<T> out_;
  std::size_t next_ = 0;  // into down_
  int y_ = 0;             // input rows added
  int target_ = -1;       // the output row being summed
};

}  // namespace

// One output size: box step → window of its rows → Lanczos-3 → rounding.
class RowResizer::Lane {
 public:
  Lane(const ResizePlan& plan, const ResizeOptions& options, cv::Size in, int type)
      : plan_(plan),
        options_(options),
        scaled_(plan.scaled.width, plan.scaled.height),
        depth_(CV_MAT_DEPTH(type)),
        channels_(CV_MAT_CN(type)),
        alpha_(channels_ == 4),
        max_(depth_ == CV_16U ? 65535.0 : 255.0) {
    const bool automatic = options.filter == Filter::automatic;
    const cv::Size k = automatic ? box_factors(in, scaled_) : cv::Size(1, 1);
    reduced_ = cv::Size(in.width / k.width, in.height / k.height);
    if (alpha_) {
      box_.emplace(reduced_.width, k.width, k.height, static_cast<float>(max_));
      ky_ = k.height;
    } else if (automatic && (k.width > 1 || k.height > 1)) {
      if (depth_ == CV_8U) area8_.emplace(in, reduced_, channels_);
      if (depth_ == CV_16U) area16_.emplace(in, reduced_, channels_);
    }
    // As resample_float: 8-bit without alpha goes through Lanczos from 8
    // bits, always; the float paths skip it when the box step hit the size.
    const int reduced_type = CV_MAKETYPE(!alpha_ && depth_ == CV_8U ? CV_8U : CV_32F, channels_);
    reduced_row_bytes_ = static_cast<std::size_t>(reduced_.width) * CV_ELEM_SIZE(reduced_type);
    if (reduced_type == CV_MAKETYPE(CV_8U, channels_) || reduced_ != scaled_) {
      lanczos_ = std::make_unique<LanczosRows>(reduced_, scaled_, reduced_type);
      capacity_ = 2 * lanczos_->window() + 2;
    }
    window_.resize(capacity_ * reduced_row_bytes_);
    float_row_.resize(static_cast<std::size_t>(reduced_.width) * channels_);
    out_.create(scaled_, CV_MAKETYPE(depth_, channels_));
  }

  void take_row(const void* pixels) {
    if (alpha_) {
      if (rows_in_++ >= reduced_.height * ky_) return;  // as premultiplied_box: whole boxes only
      if (depth_ == CV_8U) box_->add_row(static_cast<const std::uint8_t*>(pixels));
      if (depth_ == CV_16U) box_->add_row(static_cast<const std::uint16_t*>(pixels));
      if (rows_in_ % ky_ == 0) {
        box_->take_row(reinterpret_cast<cv::Vec4f*>(float_row_.data()));
        add_reduced(float_row_.data());
      }
    } else if (area8_) {
      area8_->add_row(static_cast<const std::uint8_t*>(pixels),
                      [&](const std::uint8_t* row) { add_reduced(row); });
    } else if (area16_) {
      area16_->add_row(static_cast<const std::uint16_t*>(pixels),
                       [&](const std::uint16_t* row) { add_reduced_16(row); });
    } else if (depth_ == CV_16U) {
      add_reduced_16(static_cast<const std::uint16_t*>(pixels));
    } else {
      add_reduced(pixels);
    }
  }

  cv::Mat finish() {
    if (next_out_ != scaled_.height) {
      throw Error(ErrorCode::resize_error, "the decoder gave fewer rows than the image has");
    }
    return crop_and_pad(out_, plan_, options_);
  }

 private:
  // 16-bit without alpha: to float [0, 1] first, as resample_float does.
  void add_reduced_16(const std::uint16_t* row) {
    const cv::Mat in(1, reduced_.width, CV_MAKETYPE(CV_16U, channels_),
                     const_cast<std::uint16_t*>(row));
    cv::Mat f(1, reduced_.width, CV_MAKETYPE(CV_32F, channels_), float_row_.data());
    in.convertTo(f, f.type(), 1.0 / max_);
    add_reduced(float_row_.data());
  }

  void add_reduced(const void* row) {
    if (!lanczos_) return finish_row(static_cast<const float*>(row));
    std::memcpy(slot(reduced_count_), row, reduced_row_bytes_);
    ++reduced_count_;
    while (next_out_ < scaled_.height && lanczos_->last_input(next_out_) < reduced_count_) {
      std::vector<float>& out = lanczos_out_;
      out.resize(static_cast<std::size_t>(scaled_.width) * channels_);
      lanczos_->output_row(
          [&](int y) -> const void* {
            // The window holds the last capacity_ rows; Lanczos never looks further back.
            CV_Assert(y < reduced_count_ && y >= reduced_count_ - static_cast<int>(capacity_));
            return slot(y);
          },
          next_out_, out.data());
      finish_row(out.data());
    }
  }

  std::uint8_t* slot(int y) {
    return window_.data() + static_cast<std::size_t>(y) % capacity_ * reduced_row_bytes_;
  }

  // One float row of plan.scaled's width: straight alpha again, then rounded
  // to the output depth.
  void finish_row(const float* row) {
    if (next_out_ >= scaled_.height) return;
    cv::Mat f(1, scaled_.width, CV_MAKETYPE(CV_32F, channels_), const_cast<float*>(row));
    if (alpha_) unpremultiply(f);
    cv::Mat target = out_.row(next_out_++);
    const bool from_8bit_lanczos = !alpha_ && depth_ == CV_8U;
    f.convertTo(target, out_.type(), from_8bit_lanczos ? 1.0 : max_);
  }

  ResizePlan plan_;
  const ResizeOptions& options_;
  cv::Size scaled_, reduced_;
  int depth_, channels_;
  bool alpha_;
  double max_;
  int ky_ = 1, rows_in_ = 0;
  std::optional<PremultipliedBox> box_;
  std::optional<AreaShrink<std::uint8_t>> area8_;
  std::optional<AreaShrink<std::uint16_t>> area16_;
  std::unique_ptr<LanczosRows> lanczos_;
  std::size_t capacity_ = 1, reduced_row_bytes_ = 0;
  std::vector<std::uint8_t> window_;  // the last capacity_ reduced rows, a ring
  std::vector<float> float_row_, lanczos_out_;
  int reduced_count_ = 0, next_out_ = 0;
  cv::Mat out_;
};

RowResizer::RowResizer(const std::vector<Geometry>& sizes, const ResizeOptions& options,
                       Size source)
    : sizes_(sizes), options_(options), source_(source) {}

RowResizer::~RowResizer() = default;

bool RowResizer::can_stream(Size source, const std::vector<Geometry>& sizes,
                            const ResizeOptions& options) {
  if (sizes.empty()) return false;
  if (options.filter != Filter::automatic && options.filter != Filter::lanczos) return false;
  const bool content_gravity =
      options.spec.gravity == Gravity::entropy || options.spec.gravity == Gravity::attention;
  return std::all_of(sizes.begin(), sizes.end(), [&](const Geometry& box) {
    const ResizePlan plan = plan_resize(source, box, options.spec);
    const bool crops =
        plan.crop.width != plan.scaled.width || plan.crop.height != plan.scaled.height;
    return plan.scaled.width < source.width && plan.scaled.height < source.height &&
           !(crops && content_gravity);
  });
}

void RowResizer::start(int width, int height, int type) {
  if (width != source_.width || height != source_.height) {
    throw Error(ErrorCode::resize_error, "the decoded size differs from the header's");
  }
  lanes_.clear();
  for (const auto& box : sizes_) {
    lanes_.push_back(std::make_unique<Lane>(plan_resize(source_, box, options_.spec), options_,
                                            cv::Size(width, height), type));
  }
}

void RowResizer::take_row(const void* pixels) {
  for (auto& lane : lanes_) lane->take_row(pixels);
}

std::vector<cv::Mat> RowResizer::finish() {
  std::vector<cv::Mat> out;
  for (auto& lane : lanes_) out.push_back(lane->finish());
  return out;
}

}  // namespace imgflow::detail
