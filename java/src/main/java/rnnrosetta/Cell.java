package rnnrosetta;

/** The recurrent cell type; the gate order of the weight rows is given per constant. */
public enum Cell {
    /** Elman RNN: one gate, {@code h_t = phi(a)}. */
    RNN(1),
    /** LSTM: four gates in the order i, f, g, o. */
    LSTM(4),
    /** GRU: three gates in the order r, z, n. */
    GRU(3);

    private final int gates;

    Cell(int gates) {
        this.gates = gates;
    }

    /** G: the number of gate blocks stacked in {@code weight_ih} / {@code weight_hh}. */
    public int gates() {
        return gates;
    }
}
