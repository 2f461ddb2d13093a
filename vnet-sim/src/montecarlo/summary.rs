//! Summary statistics of replicated measurements: mean, standard deviation, a 95 % confidence
//! interval for the mean (Student t), minimum and maximum.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// One metric summarised over the replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The metric.
    pub name: String,
    /// How many values.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); NaN below two values.
    pub sd: f64,
    /// Half-width of the 95 % confidence interval of the mean, `t(0.975, n−1) · sd / √n`;
    /// NaN below two values.
    pub ci95: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Summarises `values`.
    ///
    /// ```
    /// use vnet_sim::montecarlo::Summary;
    /// let s = Summary::of("x", &[1.0, 2.0, 3.0, 4.0]);
    /// assert_eq!((s.mean, s.min, s.max), (2.5, 1.0, 4.0));
    /// // sd = √(5/3); t(0.975, 3) = 3.1824…; half-width = t · sd / 2.
    /// assert!((s.ci95 - 3.182446305 * (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-8);
    /// ```
    pub fn of(name: &str, values: &[f64]) -> Self {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let (sd, ci95) = if n >= 2 {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let sd = var.sqrt();
            (sd, t_975(n - 1) * sd / (n as f64).sqrt())
        } else {
            (f64::NAN, f64::NAN)
        };
        Summary {
            name: name.to_owned(),
            n,
            mean,
            sd,
            ci95,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}
