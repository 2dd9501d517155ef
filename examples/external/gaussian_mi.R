# Gaussian MI of two sample files, printed in nats: an estimator for mibench's `external`.
#
#   Rscript gaussian_mi.R X.csv Y.csv
#
# X.csv and Y.csv are the files mibench writes with format="csv" ({x} and {y} in the command):
# a header line x0,x1,... (y0,...), then one sample per line. Prints
# 1/2 (ln det S_XX + ln det S_YY - ln det S), S the sample covariance of (X, Y), in nats, as
# the last line of standard output. Base R only. Run it through mibench with, e.g.
#
#   mibench run --suite quick \
#     --estimators 'gaussian,external[command=("Rscript", "examples/external/gaussian_mi.R", "{x}", "{y}")]'

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) {
  stop("usage: Rscript gaussian_mi.R X.csv Y.csv")
}
x <- as.matrix(read.csv(args[1]))
y <- as.matrix(read.csv(args[2]))

logdet <- function(a, what) {
  d <- determinant(cov(a), logarithm = TRUE)
  if (d$sign <= 0 || !is.finite(d$modulus)) {
    stop(sprintf("the sample covariance of %s is singular", what))
  }
  as.numeric(d$modulus)
}

mi <- 0.5 * (logdet(x, "x") + logdet(y, "y") - logdet(cbind(x, y), "(x, y)"))
# 17 significant digits: cat(mi) alone would print 7, and print(mi) adds "[1] ".
cat(sprintf("%.17g\n", mi))
