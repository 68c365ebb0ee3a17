function rnonlin_reference(ref_wav, test_wav, out_txt)
% R_nonlin reference for tests/rnonlin_octave.py (GNU Octave or MATLAB), written without FFT
% correlation and without any code of benchmark.metrics.rnonlin: Slaney's Auditory Toolbox
% (MakeERBFilters, ERBFilterBank; must be on the path) designs and runs the 40 gammatone filters,
% and the cross-correlation is summed lag by lag in the time domain.
% Writes "R value", "CH<k> value" (channel k's mean over frames of its peak correlations,
% k = 1 the highest centre frequency, as MakeERBFilters orders them) and "elapsed seconds".
  [x, fs] = audioread(ref_wav);
  [y, fs_test] = audioread(test_wav);  % float WAVs: the samples exactly
  if fs ~= fs_test || numel(x) ~= numel(y)
    error('rnonlin_reference: the two files differ in rate or length');
  end
  tic;
  x = x(:);
  y = y(:);
  n = numel(x);
  N = min(round(0.03 * fs), n);          % frame length, samples
  P = floor(n / N);                      % frames (a trailing partial frame is dropped)
  L = min(round(0.01 * fs), N - 1);      % largest lag, samples
  ref_silent = ~any(reshape(x(1:P * N), N, P), 1);   % digital silence in the input frames
  test_silent = ~any(reshape(y(1:P * N), N, P), 1);
  x = outer_middle_ear(x, fs);
  y = outer_middle_ear(y, fs);
  fcoefs = MakeERBFilters(fs, 40, 50);
  X = ERBFilterBank(x', fcoefs);
  Y = ERBFilterBank(y', fcoefs);
  peak = NaN(40, P);
  for ch = 1:40
    Xf = reshape(X(ch, 1:P * N), N, P);  % one frame per column
    Yf = reshape(Y(ch, 1:P * N), N, P);
    best = -Inf(1, P);
    for l = -L:L                         % c(l) = sum_n x(n + l) y(n)
      if l >= 0
        c = sum(Xf(1 + l:N, :) .* Yf(1:N - l, :), 1);
      else
        c = sum(Xf(1:N + l, :) .* Yf(1 - l:N, :), 1);
      end
      best = max(best, c);
    end
    energy = sqrt(sum(Xf .^ 2, 1) .* sum(Yf .^ 2, 1));
    ok = energy > 0;
    peak(ch, ok) = best(ok) ./ energy(ok);
  end
  peak(:, test_silent) = 0;              % the estimate dropped out: no similarity
  peak(:, ref_silent) = NaN;             % nothing to compare: the frame is left out
  per_frame = NaN(1, P);
  for p = 1:P
    v = peak(~isnan(peak(:, p)), p);
    if ~isempty(v)
      per_frame(p) = mean(v);
    end
  end
  v = per_frame(~isnan(per_frame));
  if isempty(v)
    R = NaN;
  else
    R = mean(v);
  end
  elapsed = toc;
  fid = fopen(out_txt, 'w');
  fprintf(fid, 'R %.17g\n', R);
  for ch = 1:40
    v = peak(ch, ~isnan(peak(ch, :)));
    if isempty(v)
      fprintf(fid, 'CH%d NaN\n', ch);
    else
      fprintf(fid, 'CH%d %.17g\n', ch, mean(v));
    end
  end
  fprintf(fid, 'elapsed %.6f\n', elapsed);
  fclose(fid);
end

function y = outer_middle_ear(x, fs)
% Zero-phase outer/middle-ear weighting, ITU-R BS.1387: A(f) in dB, f in kHz.
  n = numel(x);
  k = (0:n - 1)';
  f = min(k, n - k) * fs / n / 1000;     % frequency of each DFT bin, both halves
  A = -2.184 * f .^ -0.8 + 6.5 * exp(-0.6 * (f - 3.3) .^ 2) - 0.001 * f .^ 3.6;
  y = real(ifft(fft(x) .* 10 .^ (A / 20)));
end
