package rnnrosetta;

/** The exact kernel in float64: values are doubles, stored as computed ({@code round(d) = d.hi}). */
final class Exact64 extends ExactCompute<double[]> {
    Exact64(double clip) {
        super(clip);
    }

    @Override
    double[] newArray(int n) {
        return new double[n];
    }

    @Override
    double[] convert(double[] v) {
        return v == null ? null : v.clone();
    }

    @Override
    double at(double[] a, int i) {
        return a[i];
    }

    @Override
    void put(double[] a, int i, double v) {
        a[i] = v;
    }

    @Override
    double round(double v) {
        return v;
    }

    @Override
    int wideSlots() {
        return 1;
    }

    @Override
    void putWide(double[] a, int i, double v) {
        a[i] = v;
    }

    @Override
    double atWide(double[] a, int i) {
        return a[i];
    }
}
